import type { RekognitionClient } from '@aws-sdk/client-rekognition';
import type { Message } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { BacklogLog } from '../../../lib/trigger/backlog-contract';
import { errorCode } from '../../common/errors';
import { lazySqs } from '../../common/lazy-clients';
import { log } from '../../common/log';
import type { TriggerConfig } from '../config';
import type { RecordOutcome } from '../outcome';
import { type BatchState, processRecord, startsBulkJob } from '../process-record';
import { countActiveJobs } from './active-jobs';
import { BacklogQueue } from './backlog-queue';
import { SlotEstimate } from './slot-estimate';

export interface DispatchContext {
  readonly config: TriggerConfig;
  readonly rekognition: RekognitionClient;
  readonly backlog: BacklogQueue;
  readonly slots: SlotEstimate;
  /** Seconds a taken message stays hidden while it is started (the invocation's remaining time and a margin). */
  readonly visibilitySeconds: number;
}

export interface DispatchSummary {
  readonly waiting: number;
  readonly active?: number;
  readonly started: number;
  readonly refused: boolean;
}

/**
 * One look at the backlog: if manifests wait, count the account's running jobs, and start waiting
 * manifests, oldest first, into the slots that look free (all of them until one is refused when the
 * limit is not known yet). A manifest refused for capacity goes back at once; one that cannot be
 * started for another reason takes the manifest queue's retries; nothing else is touched.
 */
export async function dispatchBacklog(context: DispatchContext): Promise<DispatchSummary> {
  const waiting = await context.backlog.waiting(false);
  if (waiting === 0) return { waiting, started: 0, refused: false };
  // Per-image runs take no job slots: they wait for each other (run-per-image.ts).
  const takesSlots = startsBulkJob(context.config);
  let active = takesSlots ? await countActiveJobs(context.rekognition) : undefined;
  let budget = takesSlots ? context.slots.free(active) : Infinity;
  let started = 0;
  let stopped = false;
  const batch: BatchState = { capacityExhausted: false };

  while (budget > 0 && !stopped) {
    const messages = await context.backlog.take(budget, context.visibilitySeconds);
    if (messages.length === 0) break;
    for (const message of messages) {
      if (stopped) {
        await context.backlog.release(message);
        continue;
      }
      const outcome = await processRecord(asRecord(message), { config: context.config, rekognition: context.rekognition, batch });
      const startedNow = countStarted(outcome);
      if (startedNow > 0 && active !== undefined) active += startedNow;
      if (startedNow > 0) context.slots.started(active);
      started += startedNow;
      budget -= startedNow;
      stopped = await settle(message, outcome, context, batch.capacityExhausted ? active : false) || budget <= 0;
    }
  }
  const summary = { waiting, active, started, refused: batch.capacityExhausted };
  log('INFO', BacklogLog.LOOKED, { ...summary, slotLimit: context.slots.learnedLimit });
  return summary;
}

/**
 * Carries out what the manifest needs; true when no more manifests should be tried now.
 * refusedAt: the running jobs when a start was refused for capacity; false when none was.
 */
async function settle(message: Message, outcome: RecordOutcome, context: DispatchContext, refusedAt: number | undefined | false): Promise<boolean> {
  const { disposition } = outcome;
  switch (disposition.action) {
    case 'ack':
      await context.backlog.remove(message);
      return false;
    case 'park':
      // Every slot is taken (by this pipeline or another caller), or the start rate is used up:
      // it waits on, at the front.
      if (refusedAt !== false) context.slots.refused(refusedAt);
      await context.backlog.release(message);
      return true;
    case 'delay':
      await context.backlog.release(message, disposition.delaySeconds);
      return true;
    case 'retry':
    case 'dead-letter':
      await sendBack(message, context);
      return false;
  }
}

/** An unexpected failure goes back to the manifest queue, whose retries and dead-letter queue handle it. */
async function sendBack(message: Message, context: DispatchContext): Promise<void> {
  const url = context.config.manifestQueueUrl;
  if (url === undefined) {
    await context.backlog.release(message, 60);
    return;
  }
  try {
    const { sdk, client } = await lazySqs();
    await client.send(new sdk.SendMessageCommand({ QueueUrl: url, MessageBody: message.Body ?? '' }));
    await context.backlog.remove(message);
    log('WARN', 'backlog manifest sent back to the manifest queue for its retries', { messageId: message.MessageId, outcome: 'retry' });
  } catch (error) {
    log('WARN', 'backlog manifest not sent back; it stays in the backlog', { messageId: message.MessageId, errorCode: errorCode(error), error: String(error) });
  }
}

function countStarted(outcome: RecordOutcome): number {
  return outcome.kind === 'processed' ? outcome.manifests.filter((manifest) => manifest.outcome === 'started').length : 0;
}

/**
 * The backlog message as the trigger's record: a first attempt, since its receives count the
 * times every slot was taken, not failures.
 */
function asRecord(message: Message): SQSRecord {
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: message.Attributes?.SentTimestamp ?? '0' },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: '',
    awsRegion: process.env.AWS_REGION ?? '',
  } as unknown as SQSRecord;
}
