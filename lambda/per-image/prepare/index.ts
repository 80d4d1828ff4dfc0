import type { Context } from 'aws-lambda';
import { readPrepareSettings } from '../../../lib/per-image/per-image-contract';
import type { PrepareInput, PrepareOutput } from '../../../lib/per-image/per-image-workflow-contract';
import { logger } from '../../common/log';
import { createS3Client } from '../per-image-s3';
import { prepareManifest } from './prepare-manifest';

const settings = readPrepareSettings(process.env);
const s3 = createS3Client();
logger.appendPersistentKeys({ engine: 'per-image', step: 'prepare' });

/** Splits the manifest into the images to analyse and the lines that name none. */
export async function handler(input: PrepareInput, context?: Context): Promise<PrepareOutput> {
  logger.startInvocation(context);
  const fields = { token: input.token, manifest: `s3://${input.manifest.bucket}/${input.manifest.key}`, version: input.manifest.version ?? null };
  const result = await prepareManifest(input, s3, settings);
  if (result.accepted) {
    logger.info('manifest prepared', { ...fields, totalLines: result.totalLines, validLines: result.validLines, invalidLines: result.invalidLines });
  } else {
    logger.warn('manifest rejected', { ...fields, failure: result.jobDescription.FailureDetails });
  }
  return result;
}
