import { GetObjectTaggingCommand, PutObjectTaggingCommand, type S3Client } from '@aws-sdk/client-s3';
import { ActionFailureCode, ModerationTag } from '../../lib/actions/actions-contract';
import type { S3Location } from '../../lib/common/contract/s3-location';
import { errorCode, isRetryable } from '../common/errors';
import type { MatchedLabel } from '../../lib/actions/actions-contract';
import { mergeTags } from './tag-merge';

/** What tagging one image came to. */
export type TagOutcome =
  | { kind: 'tagged'; labelsDropped: boolean }
  /** The object already carries this job's token: nothing was written. */
  | { kind: 'alreadyDone'; labelsDropped: boolean }
  | { kind: 'failed'; code: string; message: string };

const GONE = new Set(['NoSuchKey', 'NoSuchVersion', 'NotFound']);
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'Forbidden']);

/**
 * Sets the moderation tags of one object version (read, merge, write). Throttling and other
 * transient errors propagate (the workflow retries and resumes from the checkpoint); a permanent
 * refusal of this image is its outcome, for the report.
 */
export async function tagImage(
  s3: S3Client,
  image: S3Location,
  status: string,
  token: string,
  matched: readonly MatchedLabel[],
): Promise<TagOutcome> {
  const target = { Bucket: image.bucket, Key: image.key, ...(image.version && { VersionId: image.version }) };
  try {
    const { TagSet = [] } = await s3.send(new GetObjectTaggingCommand(target));
    const existing = TagSet.map((tag) => ({ Key: tag.Key ?? '', Value: tag.Value ?? '' }));
    // Done by this job before (a repeated run, or a resumed one): leave it, even if a reviewer has since released it.
    const merge = mergeTags(existing, status, token, matched);
    if (existing.some((tag) => tag.Key === ModerationTag.TOKEN && tag.Value === token)) {
      return { kind: 'alreadyDone', labelsDropped: merge.fits && merge.labelsDropped };
    }
    if (!merge.fits) {
      return {
        kind: 'failed',
        code: ActionFailureCode.TAG_LIMIT,
        message: `The object has ${merge.ownTags} tags of its own: moderation:status and moderation:token do not fit in S3's 10.`,
      };
    }
    await s3.send(new PutObjectTaggingCommand({ ...target, Tagging: { TagSet: merge.tagSet } }));
    return { kind: 'tagged', labelsDropped: merge.labelsDropped };
  } catch (error) {
    return failure(error);
  }
}

/** Only S3's own refusals of this request (4xx) are the image's outcome; anything else propagates. */
function failure(error: unknown): TagOutcome {
  if (isRetryable(error) || (error as { $fault?: string } | null)?.$fault !== 'client') throw error;
  const code = errorCode(error);
  const message = `${code}: ${error instanceof Error ? error.message : String(error)}`.slice(0, 512);
  if (GONE.has(code)) return { kind: 'failed', code: ActionFailureCode.OBJECT_GONE, message };
  if (DENIED.has(code)) return { kind: 'failed', code: ActionFailureCode.ACCESS_DENIED, message };
  return { kind: 'failed', code: ActionFailureCode.REJECTED, message };
}
