import { PerImageEnvironment as Env } from '../../../lib/per-image/per-image-contract';
import { createS3Client } from '../per-image-s3';
import type { FinalizeInput, FinalizeOutput } from '../per-image-types';
import { finalize, type FinalizeOptions } from './finalize';

const s3 = createS3Client();

/** Thrown once per container when the function is deployed with unusable settings. */
export class FinalizeConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FinalizeConfigError';
  }
}

export function loadFinalizeOptions(env: NodeJS.ProcessEnv): FinalizeOptions {
  const maxFailureShare = Number(env[Env.MAX_FAILURE_SHARE] ?? '0.1');
  if (!(maxFailureShare >= 0 && maxFailureShare <= 1)) {
    throw new FinalizeConfigError(`${Env.MAX_FAILURE_SHARE} must be a number from 0 to 1 (given ${JSON.stringify(env[Env.MAX_FAILURE_SHARE])})`);
  }
  const maxRounds = Number(env[Env.MAX_ROUNDS] ?? '3');
  if (!Number.isInteger(maxRounds) || maxRounds < 1) {
    throw new FinalizeConfigError(`${Env.MAX_ROUNDS} must be a whole number of at least 1 (given ${JSON.stringify(env[Env.MAX_ROUNDS])})`);
  }
  return {
    maxFailureShare,
    maxRounds,
    kmsKeyId: env[Env.KMS_KEY_ID] || undefined,
    mapConcurrency: positive(env[Env.MAP_CONCURRENCY]),
    maxItemsPerBatch: positive(env[Env.MAX_ITEMS_PER_BATCH]),
  };
}

const options = loadFinalizeOptions(process.env);

/** After each Map round: another round for the lines not done, or the outputs and the job's description. */
export async function handler(input: FinalizeInput): Promise<FinalizeOutput> {
  return finalize(input, s3, options);
}

function positive(value: string | undefined): number | undefined {
  const parsed = Number(value);
  return Number.isInteger(parsed) && parsed > 0 ? parsed : undefined;
}
