import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

import { createInterface } from 'node:readline';

import type { Readable } from 'node:stream';

import { HandlerErrorName } from '../../lib/common/contract/error-names';
import { HandlerError } from '../common/errors';
import { openObject } from '../common/job-results';
import { type S3Location } from '../../lib/common/contract/s3-location';


/** One client per container. Test-only: S3_FORCE_PATH_STYLE=true lets s3rver stand in for S3. */
export function createS3Client(): S3Client {
  return new S3Client({ forcePathStyle: process.env.S3_FORCE_PATH_STYLE === 'true' });
}

/** A line of a JSON Lines file that is not the JSON this engine wrote. */
export class MalformedFileError extends HandlerError {
  constructor(message: string) {
    super(HandlerErrorName.MALFORMED_FILE, message);
  }
}

/** Non-empty lines of a stream, one at a time; the stream is closed when the caller stops. */
export async function* textLines(body: Readable): AsyncGenerator<string> {
  const lines = createInterface({ input: body, crlfDelay: Infinity });
  try {
    for await (const text of lines) {
      if (text.trim() !== '') yield text;
    }
  } finally {
    lines.close();
    body.destroy();
  }
}

/** Parses every line of a JSON Lines object written by this engine; a broken line throws. */
export async function* readJsonLines<T>(s3: S3Client, location: S3Location): AsyncGenerator<T> {
  let index = 0;
  for await (const text of textLines(await openObject(s3, location))) {
    index += 1;
    try {
      yield JSON.parse(text) as T;
    } catch {
      throw new MalformedFileError(`s3://${location.bucket}/${location.key} line ${index} is not JSON`);
    }
  }
}

export async function putJson(s3: S3Client, location: S3Location, value: unknown, kmsKeyId?: string): Promise<void> {
  await s3.send(new PutObjectCommand({
    Bucket: location.bucket,
    Key: location.key,
    Body: JSON.stringify(value),
    ContentType: 'application/json',
    ...(kmsKeyId && { ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: kmsKeyId }),
  }));
}
