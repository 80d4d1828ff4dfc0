import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type ImageVersionsDocument, imageVersionsKey, imageVersionsProblem } from '../../lib/common/contract/image-versions';
import { isObjectGone } from '../common/job-results';
import { logger } from '../common/log';

/** source-ref -> the version moderated. */
export type ImageVersions = ReadonlyMap<string, string>;

/**
 * The versions the manifest's images were moderated at, from the image-versions file the
 * pipeline's ingestion or backfill wrote beside it; empty for a manifest without one (written by
 * hand, or of an unversioned bucket) or with an unreadable one (logged): the current versions
 * are then tagged, as before image-versions files existed.
 */
export async function readImageVersions(s3: S3Client, manifest: { bucket: string; key: string }): Promise<ImageVersions> {
  const key = imageVersionsKey(manifest.key);
  let text: string;
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: manifest.bucket, Key: key }));
    text = await response.Body!.transformToString();
  } catch (error) {
    if (isObjectGone(error)) return new Map();
    throw error;
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    document = undefined;
  }
  const problem = imageVersionsProblem(document);
  if (problem !== undefined) {
    logger.warn('Image-versions file ignored: the current versions are tagged', { file: `s3://${manifest.bucket}/${key}`, problem });
    return new Map();
  }
  return new Map(Object.entries((document as ImageVersionsDocument).images));
}
