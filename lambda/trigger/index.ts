import type { Context, ScheduledEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type BacklogTick, readBacklogTick } from '../../lib/trigger/backlog-contract';
import { errorCode } from '../common/errors';
import { log, logger } from '../common/log';
import { BacklogQueue } from './backlog/backlog-queue';
import { dispatchBacklog, type DispatchSummary } from './backlog/dispatch';
import { slotEstimate } from './backlog/slot-estimate';
import { triggerConfig, type TriggerConfig } from './config';
import type { RecordOutcome } from './outcome';
import { BatchState, processRecord } from './process-record';
import { createRekognitionClient } from './rekognition-client';
import { settleRecord } from './settle-record';

const rekognition = createRekognitionClient();
logger.appendPersistentKeys({ stage: 'trigger' });

/** Seconds a backlog message stays hidden past the invocation's end if the invocation dies while starting it. */
const VISIBILITY_MARGIN_SECONDS = 60;
/** Time a look may take: another look starts only if this much is left after the wait. */
const LOOK_MARGIN_SECONDS = 10;

/**
 * The one caller of StartMediaAnalysisJob. Invoked by the manifest queue (S3 event notifications:
 * one job per uploaded manifest, a bulk analysis job or a run of the per-image workflow, as the
 * engine says) and by a schedule every minute that starts manifests waiting in the backlog for a
 * free job slot. Exported as TRIGGER_HANDLER (trigger-contract.ts).
 */
export async function handler(event: SQSEvent | ScheduledEvent, context?: Context): Promise<SQSBatchResponse> {
  logger.startInvocation(context);
  const config = triggerConfig();
  const backlog = config.backlogQueueUrl === undefined ? undefined : new BacklogQueue(config.backlogQueueUrl);
  if (!isSqsEvent(event)) {
    if (backlog) await workTheBacklog(readBacklogTick(event), config, backlog, context);
    return { batchItemFailures: [] };
  }

  const batch: BatchState = { capacityExhausted: false, backlogWaiting: backlog && once(() => hasWaiting(backlog)) };
  const counts: Record<string, number> = {};
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];

  // One record at a time: StartMediaAnalysisJob allows 5 requests per second.
  for (const record of event.Records) {
    let failed: boolean;
    try {
      const outcome = await processRecord(record, { config, rekognition, batch });
      count(counts, outcome);
      failed = await settleRecord(record, outcome.disposition, config.deadLetterQueueUrl, backlog);
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

/**
 * The schedule's run: looks at the backlog `backlogLooks` times, `lookIntervalSeconds` apart, while
 * manifests wait and the invocation has time for another look.
 */
async function workTheBacklog(tick: BacklogTick, config: TriggerConfig, backlog: BacklogQueue, context?: Context): Promise<void> {
  for (let look = 0; look < tick.backlogLooks; look += 1) {
    if (look > 0) {
      if (remainingMs(context) < (tick.lookIntervalSeconds + LOOK_MARGIN_SECONDS) * 1000) return;
      await new Promise((resolve) => setTimeout(resolve, tick.lookIntervalSeconds * 1000));
    }
    slotEstimate.looked();
    const summary = await lookAtBacklog(config, backlog, context);
    if (summary === undefined || summary.waiting === 0) return;
  }
}

/** Starts waiting manifests into free slots; a failure here is logged and left to the next look. */
async function lookAtBacklog(config: TriggerConfig, backlog: BacklogQueue, context?: Context): Promise<DispatchSummary | undefined> {
  const visibilitySeconds = Math.ceil(remainingMs(context) / 1000) + VISIBILITY_MARGIN_SECONDS;
  try {
    return await dispatchBacklog({ config, rekognition, backlog, slots: slotEstimate, visibilitySeconds });
  } catch (error) {
    log('WARN', 'backlog not looked at; the next look retries', { errorCode: errorCode(error), error: String(error) });
    return undefined;
  }
}

/** Time left in the invocation (a minute when run outside Lambda). */
function remainingMs(context?: Context): number {
  return context?.getRemainingTimeInMillis?.() ?? 60_000;
}

/** Whether manifests wait in the backlog (taken ones included); unknown counts as none, so nothing stalls. */
async function hasWaiting(backlog: BacklogQueue): Promise<boolean> {
  try {
    return await backlog.waiting(true) > 0;
  } catch (error) {
    log('WARN', 'backlog not counted', { errorCode: errorCode(error), error: String(error) });
    return false;
  }
}

function isSqsEvent(event: SQSEvent | ScheduledEvent): event is SQSEvent {
  return Array.isArray((event as SQSEvent).Records);
}

function once<T>(compute: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => (result ??= compute());
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
