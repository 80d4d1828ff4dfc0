import type { Context } from 'aws-lambda';
import type { BackfillBatch, BackfillProgress, SummarizeInput } from '../../lib/backfill/backfill-contract';
import { lazyS3 } from '../common/lazy-clients';
import { log, logger } from '../common/log';
import { backfillConfig } from './config';
import { emitProgressMetrics } from './metrics';
import { summarizeRun } from './summarize';
import { writeBackfillBatch, type WrittenBackfillBatch } from './write-manifests';

logger.appendPersistentKeys({ stage: 'backfill' });

/**
 * One batch of the Distributed Map (objects listed by ListObjectsV2 or read from an S3 Inventory)
 * -> create-only manifests and a skip report in the backfill's folder; its progress is the
 * child's output and an embedded-metric line. Any S3 error is thrown: the Map's retry, or a
 * redrive, runs the batch again and writes only what is missing. Exported as WRITE_MANIFESTS_HANDLER.
 */
export async function writeManifests(event: BackfillBatch, context?: Context): Promise<WrittenBackfillBatch> {
  logger.startInvocation(context);
  const settings = backfillConfig();
  const { client: s3 } = await lazyS3();
  const written = await writeBackfillBatch(s3, event, settings);
  emitProgressMetrics(settings.backfillName, written);
  log('INFO', 'batch written', { ...written });
  return written;
}

/** The whole run's progress, from the Map Run's results: the execution's output. Exported as SUMMARIZE_HANDLER. */
export async function summarize(event: SummarizeInput, context?: Context): Promise<BackfillProgress & { readonly batches: number }> {
  logger.startInvocation(context);
  const { client: s3 } = await lazyS3();
  const progress = await summarizeRun(s3, event);
  log('INFO', 'backfill run summarized', { backfill: backfillConfig().backfillName, ...progress });
  return progress;
}
