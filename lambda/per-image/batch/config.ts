import { PerImageEnvironment as Env } from '../../../lib/per-image/per-image-contract';

export interface BatchConfig {
  callsPerSecond: number;
  maxInFlight: number;
  minConfidence?: number;
  projectVersion?: string;
  kmsKeyId?: string;
}

/** The deployment's settings are wrong: no retry can help. */
export class BatchConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BatchConfigError';
  }
}

export function loadBatchConfig(env: NodeJS.ProcessEnv): BatchConfig {
  const callsPerSecond = Number(env[Env.CALLS_PER_SECOND]);
  if (!(callsPerSecond > 0) || !Number.isFinite(callsPerSecond)) {
    throw new BatchConfigError(`${Env.CALLS_PER_SECOND} must be a positive number (given ${JSON.stringify(env[Env.CALLS_PER_SECOND])})`);
  }
  const maxInFlight = env[Env.MAX_IN_FLIGHT] ? Number(env[Env.MAX_IN_FLIGHT]) : defaultInFlight(callsPerSecond);
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
    throw new BatchConfigError(`${Env.MAX_IN_FLIGHT} must be a whole number of at least 1 (given ${JSON.stringify(env[Env.MAX_IN_FLIGHT])})`);
  }
  const minConfidence = env[Env.MIN_CONFIDENCE] ? Number(env[Env.MIN_CONFIDENCE]) : undefined;
  if (minConfidence !== undefined && !(minConfidence >= 0 && minConfidence <= 100)) {
    throw new BatchConfigError(`${Env.MIN_CONFIDENCE} must be a number from 0 to 100 (given ${JSON.stringify(env[Env.MIN_CONFIDENCE])})`);
  }
  return {
    callsPerSecond,
    maxInFlight,
    ...(minConfidence !== undefined && { minConfidence }),
    ...(env[Env.PROJECT_VERSION] && { projectVersion: env[Env.PROJECT_VERSION] }),
    ...(env[Env.KMS_KEY_ID] && { kmsKeyId: env[Env.KMS_KEY_ID] }),
  };
}

/** Enough calls in flight to keep the rate with up to 2 s per call, never fewer than 2. */
export function defaultInFlight(callsPerSecond: number): number {
  return Math.min(64, Math.max(2, Math.ceil(callsPerSecond * 2)));
}
