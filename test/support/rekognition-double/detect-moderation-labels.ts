import { AwsErrorReply } from '../json-protocol-double';
import { MAX_IMAGE_BYTES } from './bulk-analysis';
import { isSupportedImageKey, moderateImageKey, MODERATION_MODEL_VERSION } from './labels';
import type { S3View } from './s3-view';

/** Image bytes passed inline may be at most 5 MB. */
export const MAX_INLINE_IMAGE_BYTES = 5 * 1024 * 1024;

/**
 * DetectModerationLabels after validation. An S3 image gets the labels of its key (as in the bulk
 * job's output); inline bytes have no key and get no labels, once checked to be JPEG or PNG.
 */
export async function detectModerationLabels(body: any, view: S3View, projectVersions?: readonly string[]): Promise<unknown> {
  if (body.ProjectVersion !== undefined && projectVersions && !projectVersions.includes(body.ProjectVersion)) {
    throw new AwsErrorReply('ResourceNotFoundException', `Project version ${body.ProjectVersion} not found`, 400);
  }
  const { S3Object, Bytes } = body.Image;
  let moderation;
  if (S3Object) {
    const head = await view.head(S3Object.Bucket, S3Object.Name, S3Object.Version);
    if (!head.ok) {
      throw new AwsErrorReply('InvalidS3ObjectException', `Unable to get object metadata from S3: ${head.message}`, 400);
    }
    if (!isSupportedImageKey(S3Object.Name)) {
      throw new AwsErrorReply('InvalidImageFormatException', 'Request has unsupported image format', 400);
    }
    if (head.size > MAX_IMAGE_BYTES) {
      throw new AwsErrorReply('ImageTooLargeException', `Image size is larger than ${MAX_IMAGE_BYTES} bytes`, 400);
    }
    moderation = moderateImageKey(S3Object.Name, body.MinConfidence);
  } else {
    const bytes = Buffer.from(Bytes as string, 'base64');
    if (bytes.length > MAX_INLINE_IMAGE_BYTES) {
      throw new AwsErrorReply('ImageTooLargeException', `Image size is larger than ${MAX_INLINE_IMAGE_BYTES} bytes`, 400);
    }
    if (!isJpegOrPng(bytes)) {
      throw new AwsErrorReply('InvalidImageFormatException', 'Request has unsupported image format', 400);
    }
    moderation = { ModerationLabels: [], ModerationModelVersion: MODERATION_MODEL_VERSION, ContentTypes: [] };
  }
  return { ...moderation, ...(body.ProjectVersion !== undefined && { ProjectVersion: body.ProjectVersion }) };
}

function isJpegOrPng(bytes: Buffer): boolean {
  const jpeg = bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  const png = bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  return jpeg || png;
}
