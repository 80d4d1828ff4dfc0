import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CLAIM_SUFFIX, claimsFolder, type SkippedObject, type SkipReason } from '../../lib/ingest/ingest-contract';
import { deriveToken } from '../common/job-request';
import { inParallel } from './in-parallel';
import { putIfAbsent } from './manifest-batch';

/** Claims written at once. */
const CLAIM_CONCURRENCY = 32;

/** An object version to claim. */
export interface Claimable {
  readonly bucket: string;
  readonly key: string;
  readonly version?: string;
}

/** Who claims an object version, and which claims already written are the claimant's own. */
export interface Claim {
  /** Bucket, key and revision: what tells this object version from every other. */
  readonly identity: string;
  /** Written into the claim. */
  readonly claimant: string;
  /** Whether a claim already written (holding `owner`) is this claimant's own (a retry). */
  readonly isOurs: (owner: string) => boolean;
}

export interface ClaimedObjects<T> {
  readonly claimed: T[];
  /** Object versions already claimed by someone else: they are in another manifest. */
  readonly skipped: SkippedObject[];
}

/**
 * Claims every object version for a batch before its manifest is written: a create-only object
 * per version in `<manifestFolder>claims/`, holding the claimant. A version claimed by someone
 * else is already in another manifest, so it is skipped with `reason` instead of being paid for
 * twice; one claimed by this claimant (a retry after a crash) stays in the batch.
 */
export async function claimObjects<T extends Claimable>(
  s3: S3Client,
  bucket: string,
  manifestFolder: string,
  objects: readonly T[],
  claimOf: (object: T) => Claim,
  reason: SkipReason,
): Promise<ClaimedObjects<T>> {
  const outcomes = await inParallel(objects, CLAIM_CONCURRENCY, async (object) => {
    const claim = claimOf(object);
    const owner = await writeClaim(s3, bucket, claimKey(manifestFolder, claim.identity), claim.claimant);
    return { object, ours: claim.isOurs(owner) };
  });
  return {
    claimed: outcomes.filter((outcome) => outcome.ours).map((outcome) => outcome.object),
    skipped: outcomes.filter((outcome) => !outcome.ours).map(({ object }) => ({
      bucket: object.bucket,
      key: object.key,
      ...(object.version !== undefined && { version: object.version }),
      reason,
    })),
  };
}

/** `<folder>claims/<digest of the identity>.claim` */
export function claimKey(manifestFolder: string, identity: string): string {
  return `${claimsFolder(manifestFolder)}${deriveToken(identity).slice(0, 40)}${CLAIM_SUFFIX}`;
}

/**
 * Writes the claim unless it exists; returns the claimant it holds. A claim being written by
 * another batch at this moment cannot be read yet: the error fails this batch, which is retried whole.
 */
async function writeClaim(s3: S3Client, bucket: string, key: string, claimant: string): Promise<string> {
  if (await putIfAbsent(s3, bucket, key, claimant, 'text/plain')) return claimant;
  const existing = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await existing.Body!.transformToString()).trim();
}
