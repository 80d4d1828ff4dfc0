import type { Context } from 'aws-lambda';
import { readFinalizeSettings } from '../../../lib/per-image/per-image-contract';
import type { FinalizeInput, FinalizeOutput } from '../../../lib/per-image/per-image-workflow-contract';
import { logger } from '../../common/log';
import { createS3Client } from '../per-image-s3';
import { finalize } from './finalize';

const settings = readFinalizeSettings(process.env);
const s3 = createS3Client();
logger.appendPersistentKeys({ engine: 'per-image', step: 'finalize' });

/** After each Map round: another round for the lines not done, or the outputs and the job's description. */
export async function handler(input: FinalizeInput, context?: Context): Promise<FinalizeOutput> {
  logger.startInvocation(context);
  return finalize(input, s3, settings);
}
