import type { FailureCode } from './operations';


export type JobStatus = 'CREATED' | 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED';

export interface S3ObjectRef {
  Bucket: string;
  Name: string;
  Version?: string;
}

/** How a job is told to end in failure. */
export interface JobFailure {
  readonly Code: FailureCode;
  readonly Message?: string;
  /** Write a manifest summary before failing (as a job that failed part-way might). @default false */
  readonly writeSummary?: boolean;
}

/** One media analysis job, as the double keeps it. Times are simulated epoch milliseconds. */
export interface DoubleJob {
  readonly JobId: string;
  readonly JobName?: string;
  readonly ClientRequestToken?: string;
  /** The request without its token, canonical JSON: the idempotency comparison. */
  readonly requestKey: string;
  readonly OperationsConfig: any;
  readonly Input: { S3Object: S3ObjectRef };
  readonly OutputConfig: { S3Bucket: string; S3KeyPrefix?: string };
  readonly KmsKeyId?: string;
  readonly createdAt: number;
  readonly inProgressAt: number;
  readonly completesAt: number;
  /** The manifest as read at start (the job analyses this copy). */
  readonly manifest?: string;
  /** The request named a Version but the S3 server has no versions: the latest object was read. */
  readonly versionIgnored: boolean;
  /** A failure decided at start (manifest problems in 'job' mode, or a scripted failure). */
  failure?: JobFailure;
  settled?: {
    Status: 'SUCCEEDED' | 'FAILED';
    FailureDetails?: { Code: string; Message: string };
    Results?: { S3Object: S3ObjectRef; ModelVersions: { Moderation: string } };
    ManifestSummary?: { S3Object: S3ObjectRef };
  };
}

/** The status at `now`, before settlement writes the outputs of a job that has run its course. */
export function statusAt(job: DoubleJob, now: number): JobStatus {
  if (job.settled) return job.settled.Status;
  if (now < job.inProgressAt) return 'CREATED';
  if (now < job.completesAt) return 'IN_PROGRESS';
  return job.failure ? 'FAILED' : 'SUCCEEDED';
}

/** Counts against the concurrent-job limit. */
export function isActive(job: DoubleJob, now: number): boolean {
  return now < job.completesAt && !job.settled;
}

/** GetMediaAnalysisJob's answer (also each ListMediaAnalysisJobs entry); timestamps in epoch seconds. */
export function describeJob(job: DoubleJob, now: number): Record<string, unknown> {
  const status = statusAt(job, now);
  const done = status === 'SUCCEEDED' || status === 'FAILED';
  return {
    JobId: job.JobId,
    ...(job.JobName !== undefined && { JobName: job.JobName }),
    OperationsConfig: job.OperationsConfig,
    Status: status,
    ...(job.settled?.FailureDetails && { FailureDetails: job.settled.FailureDetails }),
    CreationTimestamp: job.createdAt / 1000,
    ...(done && { CompletionTimestamp: job.completesAt / 1000 }),
    Input: job.Input,
    OutputConfig: job.OutputConfig,
    ...(job.KmsKeyId !== undefined && { KmsKeyId: job.KmsKeyId }),
    ...(job.settled?.Results && { Results: job.settled.Results }),
    ...(job.settled?.ManifestSummary && { ManifestSummary: job.settled.ManifestSummary }),
  };
}

/** JSON with sorted keys, so two equal requests compare equal whatever their field order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** `<prefix>/<JobId>/results/…`: the double's choice; callers must read the keys from the job. */
export function outputKeys(prefix: string | undefined, jobId: string): { results: string; summary: string } {
  const folder = `${prefix ? prefix.replace(/\/+$/, '') + '/' : ''}${jobId}/results`;
  return { results: `${folder}/output.jsonl`, summary: `${folder}/manifest-summary.json` };
}
