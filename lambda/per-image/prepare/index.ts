import { PerImageEnvironment as Env } from '../../../lib/per-image/per-image-contract';
import { log } from '../../common/log';
import { createS3Client } from '../per-image-s3';
import type { PrepareInput, PrepareOutput } from '../per-image-types';
import { prepareManifest } from './prepare-manifest';

const s3 = createS3Client();

/** Splits the manifest into the images to analyse and the lines that name none. */
export async function handler(input: PrepareInput): Promise<PrepareOutput> {
  const fields = { token: input.token, manifest: `s3://${input.manifest.bucket}/${input.manifest.key}`, version: input.manifest.version ?? null };
  const result = await prepareManifest(input, s3, {
    kmsKeyId: process.env[Env.KMS_KEY_ID] || undefined,
    mapConcurrency: positive(process.env[Env.MAP_CONCURRENCY]),
    maxItemsPerBatch: positive(process.env[Env.MAX_ITEMS_PER_BATCH]),
  });
  if (result.accepted) {
    log('INFO', 'manifest prepared', { ...fields, totalLines: result.totalLines, validLines: result.validLines, invalidLines: result.invalidLines });
  } else {
    log('WARN', 'manifest rejected', { ...fields, failure: result.jobDescription.FailureDetails });
  }
  return result;
}

function positive(value: string | undefined): number | undefined {
  const parsed = Number(value);
  return Number.isInteger(parsed) && parsed > 0 ? parsed : undefined;
}
