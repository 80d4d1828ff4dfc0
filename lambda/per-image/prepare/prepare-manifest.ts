import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { HandlerErrorName } from '../../../lib/common/contract/error-names';
import { errorCode, HandlerError } from '../../common/errors';
import { readManifestLines } from '../../common/manifest-reader';
import { MANIFEST_MAX_BYTES, MANIFEST_MAX_LINES } from '../../common/manifest-validation';
import { itemsPerBatch } from '../per-image-batching';
import { perImageKeys } from '../per-image-keys';
import { JsonLinesWriter } from '../../common/jsonl-writer';
import { DEFAULT_BATCHING, type PrepareSettings } from '../../../lib/per-image/per-image-contract';
import type { ImageItem, InvalidLine, PrepareInput, PrepareOutput, RejectedManifest } from '../../../lib/per-image/per-image-workflow-contract';

/** The handler's settings (the Map's MaxConcurrency and batch size limit size the first round's batches), and test seams. */
export interface PrepareOptions extends Partial<PrepareSettings> {
  maxLines?: number;
  maxBytes?: number;
  now?: () => Date;
}

/** S3 answers that mean the manifest cannot be read at all, with bulk analysis's failure codes. */
const UNREADABLE: Record<string, string> = {
  NoSuchKey: 'INVALID_S3_OBJECT',
  NoSuchVersion: 'INVALID_S3_OBJECT',
  NoSuchBucket: 'INVALID_S3_OBJECT',
  NotFound: 'INVALID_S3_OBJECT',
  InvalidArgument: 'INVALID_S3_OBJECT',
  AccessDenied: 'ACCESS_DENIED',
  Forbidden: 'ACCESS_DENIED',
};

class ManifestTooLarge extends Error {}

/**
 * Reads the manifest version once, streaming (memory: one line and two chunks), and splits it
 * into the images to analyse (items.jsonl, the Distributed Map's input) and the lines that name
 * none (invalid-lines.jsonl, the summary's first errors). A manifest bulk analysis would refuse
 * (unreadable, empty, over 10,000 lines or 50 MB, no line naming an image) is rejected with a
 * FAILED job description instead. S3 errors that may pass (throttling, 5xx) are thrown, for the
 * workflow's Retry.
 */
export async function prepareManifest(input: PrepareInput, s3: S3Client, options: PrepareOptions = {}): Promise<PrepareOutput> {
  const maxLines = options.maxLines ?? MANIFEST_MAX_LINES;
  const maxBytes = options.maxBytes ?? MANIFEST_MAX_BYTES;
  const now = options.now ?? (() => new Date());
  const reject = (Code: string, Message: string): RejectedManifest => ({
    accepted: false,
    jobDescription: {
      JobId: input.executionArn,
      Status: 'FAILED',
      FailureDetails: { Code, Message },
      CreationTimestamp: input.startedAt,
      CompletionTimestamp: now().toISOString(),
    },
  });

  const { manifest, output } = input;
  let response;
  try {
    response = await s3.send(new GetObjectCommand({
      Bucket: manifest.bucket,
      Key: manifest.key,
      ...(manifest.version !== undefined && { VersionId: manifest.version }),
    }));
  } catch (error) {
    const code = UNREADABLE[errorCode(error)];
    if (code === undefined) throw error;
    return reject(code, `The manifest s3://${manifest.bucket}/${manifest.key}${manifest.version ? ` (version ${manifest.version})` : ''} cannot be read: ${errorCode(error)}: ${(error as Error).message}`);
  }
  if ((response.ContentLength ?? 0) > maxBytes) {
    return reject('INVALID_MANIFEST', `The manifest is ${response.ContentLength} bytes, larger than the allowed ${maxBytes}.`);
  }

  const keys = perImageKeys(output.prefix);
  const items = { bucket: output.bucket, key: keys.items };
  const invalid = { bucket: output.bucket, key: keys.invalid };
  const itemWriter = new JsonLinesWriter(s3, { ...items, kmsKeyId: options.kmsKeyId });
  const invalidWriter = new JsonLinesWriter(s3, { ...invalid, kmsKeyId: options.kmsKeyId });
  let totalLines = 0;
  let blankLines = 0;
  try {
    for await (const line of readManifestLines(limited(toStream(response.Body), maxBytes))) {
      totalLines = line.lineNumber;
      if (totalLines > maxLines) {
        await abortBoth(itemWriter, invalidWriter);
        return reject('INVALID_MANIFEST', `The manifest has more than ${maxLines} lines, the allowed limit.`);
      }
      if (line.entry) {
        // NOT_AN_IMAGE comes with an entry: the image is analysed, and Rekognition decides.
        const item: ImageItem = { line: line.lineNumber, bucket: line.entry.bucket, key: line.entry.key, sourceRef: line.entry.sourceRef };
        await itemWriter.write(item);
      } else {
        const error = line.error ?? { code: 'INVALID_LINE', message: 'Line names no image.' };
        if (error.code === 'EMPTY_LINE') blankLines += 1;
        const invalidLine: InvalidLine = { line: line.lineNumber, code: error.code, message: error.message };
        await invalidWriter.write(invalidLine);
      }
    }
  } catch (error) {
    await abortBoth(itemWriter, invalidWriter);
    if (error instanceof ManifestTooLarge) {
      return reject('INVALID_MANIFEST', `The manifest is larger than the allowed ${maxBytes} bytes.`);
    }
    throw error;
  }

  if (totalLines === blankLines) {
    await abortBoth(itemWriter, invalidWriter);
    return reject('INVALID_MANIFEST', 'The manifest is empty.');
  }
  if (itemWriter.lines === 0) {
    await abortBoth(itemWriter, invalidWriter);
    return reject('INVALID_MANIFEST', `None of the manifest's ${totalLines} lines names an image: write one {"source-ref":"s3://bucket/key"} per line.`);
  }
  await itemWriter.close();
  await invalidWriter.close();
  return {
    accepted: true,
    totalLines,
    validLines: itemWriter.lines,
    invalidLines: invalidWriter.lines,
    items,
    invalid,
    mapResultsPrefix: keys.mapResults,
    work: { round: 1, items, mapResults: [], waitSeconds: 0, itemsPerBatch: itemsPerBatch(itemWriter.lines,
      options.mapConcurrency ?? DEFAULT_BATCHING.mapConcurrency, options.maxItemsPerBatch ?? DEFAULT_BATCHING.maxItemsPerBatch) },
  };
}

function toStream(body: unknown): AsyncIterable<Uint8Array | string> {
  if (body instanceof Readable) return body;
  if (body !== null && typeof body === 'object' && Symbol.asyncIterator in body) {
    return body as AsyncIterable<Uint8Array | string>;
  }
  throw new HandlerError(HandlerErrorName.READ_INTERRUPTED, 'The manifest object has no readable body');
}

/** Passes the body through and stops reading past maxBytes. */
async function* limited(body: AsyncIterable<Uint8Array | string>, maxBytes: number): AsyncGenerator<Uint8Array | string> {
  let bytes = 0;
  for await (const chunk of body) {
    bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk, 'utf8') : chunk.byteLength;
    if (bytes > maxBytes) throw new ManifestTooLarge();
    yield chunk;
  }
}

async function abortBoth(...writers: JsonLinesWriter[]): Promise<void> {
  await Promise.all(writers.map((writer) => writer.abort()));
}
