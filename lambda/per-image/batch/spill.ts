import { perImageKeys } from '../per-image-keys';

import { JsonLinesWriter, writeJsonLines } from '../../common/jsonl-writer';

import { createS3Client } from '../per-image-s3';

import type { BatchInput, LineResult } from '../../../lib/per-image/per-image-workflow-contract';
import { type S3Location } from '../../../lib/common/contract/s3-location';

// Loaded with import() only when a batch's results are too large to return: a cold start never
// pays for the S3 SDK.
const s3 = createS3Client();

/** Writes the results as JSON Lines next to the manifest's other per-image files. */
export async function spillResults(batch: BatchInput, firstLine: number, results: LineResult[], kmsKeyId?: string): Promise<S3Location> {
  const target = { bucket: batch.output.bucket, key: perImageKeys(batch.output.prefix).spilledBatch(batch.round, firstLine) };
  await writeJsonLines(new JsonLinesWriter(s3, { ...target, kmsKeyId }), results);
  return target;
}
