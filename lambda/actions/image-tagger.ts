import { GetObjectTaggingCommand, PutObjectTaggingCommand, type S3Client } from '@aws-sdk/client-s3';
import { ActionFailureCode, ModerationTag } from '../../lib/actions/actions-contract';
import type { S3Location } from '../../lib/common/contract/s3-location';
import { errorCode, isRetryable } from '../common/errors';
import type { MatchedLabel } from '../../lib/actions/actions-contract';
import { mergeTags } from './tag-merge';

/** What tagging one image came to; `currentVersion` is set when the version tagged is no longer the current one. */
export type TagOutcome =
  | { kind: 'tagged'; labelsDropped: boolean; currentVersion?: string }
  /** The object already carries this job's token: nothing was written. */
  | { kind: 'alreadyDone'; labelsDropped: boolean; currentVersion?: string }
  | { kind: 'failed'; code: string; message: string };

const GONE = new Set(['NoSuchKey', 'NoSuchVersion', 'NotFound']);
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'Forbidden']);

/**
 * Sets the moderation tags of one object version (read, merge, write): `image.version`, the
 * version moderated, when the manifest's image-versions file names it, else the current one.
 * Reading the current version's tags tells its version id: when it is not the moderated one,
 * the moderated version is tagged and the newer one left alone (the outcome names it). Throttling
 * and other transient errors propagate (the workflow retries and resumes from the checkpoint); a
 * permanent refusal of this image is its outcome, for the report.
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
    const current = await s3.send(new GetObjectTaggingCommand({ Bucket: image.bucket, Key: image.key }));
    const notCurrent = image.version !== undefined && current.VersionId !== undefined && current.VersionId !== image.version;
    const { TagSet = [] } = notCurrent ? await s3.send(new GetObjectTaggingCommand(target)) : current;
    const versionNote = notCurrent ? { currentVersion: current.VersionId } : {};
    const existing = TagSet.map((tag) => ({ Key: tag.Key ?? '', Value: tag.Value ?? '' }));
    // Done by this job before (a repeated run, or a resumed one): leave it, even if a reviewer has since released it.
    const merge = mergeTags(existing, status, token, matched);
    if (existing.some((tag) => tag.Key === ModerationTag.TOKEN && tag.Value === token)) {
      return { kind: 'alreadyDone', labelsDropped: merge.fits && merge.labelsDropped, ...versionNote };
    }
    if (!merge.fits) {
      return {
        kind: 'failed',
        code: ActionFailureCode.TAG_LIMIT,
        message: `The object has ${merge.ownTags} tags of its own: moderation:status and moderation:token do not fit in S3's 10.`,
      };
    }
    await s3.send(new PutObjectTaggingCommand({ ...target, Tagging: { TagSet: merge.tagSet } }));
    return { kind: 'tagged', labelsDropped: merge.labelsDropped, ...versionNote };
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
