import type { Context, SQSEvent } from 'aws-lambda';
import { lazyS3, lazySqs } from '../common/lazy-clients';
import { log, logger } from '../common/log';
import { ingestConfig } from './config';
import { ingestBatch } from './ingest-batch';
import type { QueueMessage } from './image-events';
import { deleteMessages, receiveMore } from './queue-messages';

logger.appendPersistentKeys({ stage: 'ingest' });

/**
 * SQS (S3 events of uploaded images) -> one manifest per batch under the pipeline's manifest
 * prefix, plus a skip report. The event source's batch (up to its window, maxWait) is filled up
 * to maxImagesPerManifest from the queue directly; the messages received that way are deleted
 * once the manifest exists, the event's own records by Lambda when this returns. Exported as
 * INGEST_HANDLER (ingest-contract.ts).
 */
export async function handler(event: SQSEvent, context?: Context): Promise<void> {
  logger.startInvocation(context);
  const settings = ingestConfig();
  const [{ client: s3 }, { client: sqs }] = await Promise.all([lazyS3(), lazySqs()]);
  const fromEvent: QueueMessage[] = event.Records.map((record) => ({ messageId: record.messageId, receiptHandle: record.receiptHandle, body: record.body }));
  const wanted = settings.maxImagesPerManifest - fromEvent.length;
  const received = wanted > 0 ? await receiveMore(sqs, settings.queueUrl, wanted) : [];

  const batch = await ingestBatch(s3, [...fromEvent, ...received], settings);
  if (batch.ignored.length > 0) {
    log('INFO', 'messages ignored', { count: batch.ignored.length, reasons: batch.ignored.slice(0, 20) });
  }
  const notDeleted = await deleteMessages(sqs, settings.queueUrl, received);
  log('INFO', 'batch written', {
    messages: fromEvent.length + received.length,
    receivedDirectly: received.length,
    batch: batch.name,
    images: batch.images,
    skipped: batch.skipped,
    manifests: batch.manifests,
    skipReport: batch.skipReport,
    alreadyWritten: batch.existing,
    notDeleted,
  });
}
