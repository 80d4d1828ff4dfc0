import { type S3Location } from '../../lib/common/contract/s3-location';

/** Everything derived for one manifest before its job is started. */
export interface JobIdentity {
  readonly manifest: S3Location;
  readonly token: string;
  readonly jobName: string;
  /** S3KeyPrefix of the job's results, and the folder of its error report. */
  readonly outputPrefix: string;
}

/** A bulk analysis job (with its JobId), or a run of the per-image workflow. */
export interface StartedJob extends JobIdentity {
  /** Absent: bulk. */
  readonly engine?: 'bulk' | 'per-image';
  readonly jobId?: string;
}

export type ManifestOutcome =
  | { readonly outcome: 'started'; readonly job: StartedJob }
  /**
   * Retryable (capacity, throttled, transient); shortCircuited: Rekognition was not called;
   * waitsForTurn: the cause is capacity (every concurrent-job slot taken, or manifests already
   * waiting for one) or the request rate, which the backlog waits out in order.
   */
  | { readonly outcome: 'deferred'; readonly job: JobIdentity; readonly errorCode: string; readonly delaySeconds: number; readonly shortCircuited: boolean; readonly waitsForTurn?: boolean }
  /**
   * Rekognition already started a job with this token, with other settings (a redeploy changed
   * them before a redelivery): that job is the manifest's fate; nothing written, nothing retried.
   */
  | { readonly outcome: 'already-started'; readonly job: JobIdentity; readonly errorCode: string }
  /** Permanent: an error report was written; never retried. */
  | { readonly outcome: 'rejected'; readonly job: JobIdentity; readonly errorCode: string; readonly errorReport: string }
  /** Unexpected: retried, then forwarded to the dead-letter queue. */
  | { readonly outcome: 'failed'; readonly job: JobIdentity; readonly errorCode: string; readonly message: string };

/** What to do with the SQS message once all its manifests are handled. */
export type Disposition =
  | { readonly action: 'ack' }
  | { readonly action: 'delay'; readonly delaySeconds: number }
  /** Wait in the backlog for a free job slot (delaySeconds: the retry delay if the backlog cannot take it). */
  | { readonly action: 'park'; readonly delaySeconds: number }
  | { readonly action: 'retry'; readonly errorCode: string }
  | { readonly action: 'dead-letter'; readonly errorCode: string; readonly message: string };

export type RecordOutcome =
  | { readonly kind: 'skipped'; readonly reason: string; readonly disposition: Disposition }
  | { readonly kind: 'processed'; readonly manifests: readonly ManifestOutcome[]; readonly disposition: Disposition };
