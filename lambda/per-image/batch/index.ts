import type { Context } from 'aws-lambda';
import { readBatchSettings } from '../../../lib/per-image/per-image-contract';
import type { BatchEvent, BatchOutput, LineResult } from '../../../lib/per-image/per-image-workflow-contract';
import { logger } from '../../common/log';
import { analyzeBatch } from './analyze-batch';
import { createDetectClient, detector } from './detect';
import { Pacer } from './pacer';

/** Step Functions refuses state payloads over 256 KiB; beyond this the results go to S3. */
export const MAX_INLINE_BYTES = 200 * 1024;
/** Time kept back from the function's timeout to return (and spill) what is done. */
export const RETURN_MARGIN_MS = 20_000;
/** Without a Lambda context (local runs): the time budget of one batch. */
const DEFAULT_BUDGET_MS = 240_000;

const config = readBatchSettings(process.env);
const rekognition = createDetectClient();
logger.appendPersistentKeys({ engine: 'per-image', step: 'batch' });

/** One ItemBatcher batch: every image analysed, refused, or handed back for the next round. */
export async function handler(event: BatchEvent, context?: Context): Promise<BatchOutput> {
  logger.startInvocation(context);
  const started = Date.now();
  const budget = context?.getRemainingTimeInMillis?.() ?? DEFAULT_BUDGET_MS;
  const items = event.Items ?? [];
  const { results, statistics } = await analyzeBatch(items, {
    detect: detector(rekognition, config),
    pacer: new Pacer(config.callsPerSecond),
    deadline: started + budget - RETURN_MARGIN_MS,
    maxInFlight: config.maxInFlight,
  });
  const firstLine = items[0]?.line ?? 0;
  const elapsedMs = Math.max(1, Date.now() - started);
  logger.info('batch analysed', {
    round: event.BatchInput?.round,
    firstLine,
    items: items.length,
    ...statistics,
    elapsedMs,
    callsPerSecond: Math.round((statistics.calls * 100_000) / elapsedMs) / 100,
  });
  return inlineOrSpilled(event, results, firstLine);
}

async function inlineOrSpilled(event: BatchEvent, results: LineResult[], firstLine: number): Promise<BatchOutput> {
  const inline: BatchOutput = { results };
  if (Buffer.byteLength(JSON.stringify(inline), 'utf8') <= MAX_INLINE_BYTES) {
    return inline;
  }
  const { spillResults } = await import('./spill');
  const spilled = await spillResults(event.BatchInput, firstLine, results, config.kmsKeyId);
  logger.info('batch results spilled to S3', { firstLine, ...spilled, count: results.length });
  return { spilled, count: results.length };
}
