import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ACTIONS_CHECKPOINT_NAME, ACTIONS_REPORT_NAME, actionsFileKey, type ActionCounts } from '../../lib/actions/actions-contract';
import { type S3Location, s3Uri } from '../../lib/common/contract/s3-location';
import { isObjectGone } from '../common/job-results';

/** One image whose actions failed, whose labels tag did not fit, or whose moderated version is no longer current. */
export interface ActionFailure {
  line: number;
  sourceRef: string | null;
  image: { bucket: string; key: string; version: string | null } | null;
  code: string;
  message: string;
}

/** Progress through one job's results: every line before `nextLine` has had all its actions. */
export interface Checkpoint {
  version: 1;
  token: string;
  nextLine: number;
  complete: boolean;
  counts: Omit<ActionCounts, 'report'>;
  failures: ActionFailure[];
  /** Images tagged without moderation:labels (what did not fit). */
  labelsNotFitting: ActionFailure[];
  /** Images whose moderated version is no longer current (the newer version was left alone). */
  versionNotCurrent: ActionFailure[];
}

export interface ActionsFiles {
  readonly checkpoint: S3Location;
  readonly report: S3Location;
}

export function actionsFiles(output: { bucket: string; prefix: string }): ActionsFiles {
  return {
    checkpoint: { bucket: output.bucket, key: actionsFileKey(output.prefix, ACTIONS_CHECKPOINT_NAME) },
    report: { bucket: output.bucket, key: actionsFileKey(output.prefix, ACTIONS_REPORT_NAME) },
  };
}

export function emptyCheckpoint(token: string): Checkpoint {
  return {
    version: 1,
    token,
    nextLine: 1,
    complete: false,
    counts: { imagesEvaluated: 0, imagesFlagged: 0, imagesQuarantined: 0, tagged: 0, alreadyDone: 0, eventsPublished: 0, labelsTagDropped: 0, failed: 0, versionNotCurrent: 0 },
    failures: [],
    labelsNotFitting: [],
    versionNotCurrent: [],
  };
}

/** This job's checkpoint, or a fresh one when there is none (or it belongs to another token). */
export async function readCheckpoint(s3: S3Client, location: S3Location, token: string): Promise<Checkpoint> {
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
    const checkpoint = JSON.parse(await response.Body!.transformToString()) as Checkpoint;
    if (checkpoint.version !== 1 || checkpoint.token !== token) return emptyCheckpoint(token);
    // A checkpoint saved by an earlier release of the function lacks the version fields.
    checkpoint.versionNotCurrent ??= [];
    checkpoint.counts.versionNotCurrent ??= 0;
    return checkpoint;
  } catch (error) {
    if (isObjectGone(error)) return emptyCheckpoint(token);
    throw error;
  }
}

export async function writeJson(s3: S3Client, location: S3Location, document: unknown, kmsKeyId: string | undefined): Promise<void> {
  await s3.send(new PutObjectCommand({
    Bucket: location.bucket,
    Key: location.key,
    Body: JSON.stringify(document),
    ContentType: 'application/json',
    ...(kmsKeyId && { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: kmsKeyId }),
  }));
}

/** actions-report.json: the counts and every image whose actions failed or did not all fit. */
export function reportDocument(checkpoint: Checkpoint, job: { jobId: string | null; results: string }, report: S3Location) {
  return {
    version: '1',
    token: checkpoint.token,
    jobId: job.jobId,
    results: job.results,
    counts: { ...checkpoint.counts, report: s3Uri(report) },
    failures: checkpoint.failures,
    labelsNotFitting: checkpoint.labelsNotFitting,
    versionNotCurrent: checkpoint.versionNotCurrent,
  };
}
