import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { log, logger } from '../common/log';
import { triggerConfig } from './config';
import type { RecordOutcome } from './outcome';
import { BatchState, processRecord } from './process-record';
import { createRekognitionClient } from './rekognition-client';
import { settleRecord } from './settle-record';

const rekognition = createRekognitionClient();
logger.appendPersistentKeys({ stage: 'trigger' });

/**
 * SQS (S3 event notifications) -> one job per uploaded manifest: a bulk analysis job, or a run of
 * the per-image workflow, as the engine says. Exported as TRIGGER_HANDLER (trigger-contract.ts).
 */
export async function handler(event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
  logger.startInvocation(context);
  const config = triggerConfig();
  const batch: BatchState = { capacityExhausted: false };
  const counts: Record<string, number> = {};
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];

  // One record at a time: StartMediaAnalysisJob allows 5 requests per second.
  for (const record of event.Records) {
    let failed: boolean;
    try {
      const outcome = await processRecord(record, { config, rekognition, batch });
      count(counts, outcome);
      failed = await settleRecord(record, outcome.disposition, config.deadLetterQueueUrl);
    } catch (error) {
      // Defensive: a bug here must cost one record, never the batch.
      log('ERROR', 'record failed unexpectedly', { messageId: record.messageId, outcome: 'retry', error: String(error) });
      failed = true;
    }
    if (failed) {
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }

  log('INFO', 'batch done', { records: event.Records.length, failed: batchItemFailures.length, ...counts });
  return { batchItemFailures };
}

/** Outcome tallies for the batch log line; shortCircuited counts deferrals that skipped Rekognition. */
function count(counts: Record<string, number>, outcome: RecordOutcome): void {
  const add = (kind: string) => (counts[kind] = (counts[kind] ?? 0) + 1);
  if (outcome.kind === 'skipped') {
    add('skipped');
    return;
  }
  for (const manifest of outcome.manifests) {
    add(manifest.outcome);
    if (manifest.outcome === 'deferred' && manifest.shortCircuited) {
      add('shortCircuited');
    }
  }
}
