import { createHash } from 'node:crypto';
import { AwsErrorReply } from '../json-protocol-double';
import { analyseManifest } from './bulk-analysis';
import type { SimulatedClock } from './clock';
import { canonicalJson, DoubleJob, isActive, JobFailure, outputKeys } from './jobs';
import type { FailureCode } from './operations';
import type { ReadFailure, S3View } from './s3-view';

/** Manifest problems at start: StartMediaAnalysisJob raises them ('start') or the job FAILS with them ('job'). */
export type ManifestErrorMode = 'start' | 'job';

/** The documented (misspelt) key of a summary error's line number, or a corrected spelling. */
export type SummaryLineNumberKey = 'line-numer' | 'line-number';

export interface JobRunnerSettings {
  readonly clock: SimulatedClock;
  readonly view: S3View;
  readonly concurrentJobLimit: number;
  readonly createdSeconds: number;
  readonly jobDurationSeconds: number | ((job: { Input: DoubleJob['Input']; JobName?: string }) => number);
  readonly manifestErrors: ManifestErrorMode;
  readonly maxManifestLines: number;
  readonly maxManifestBytes: number;
  readonly summaryLineNumberKey: SummaryLineNumberKey | ((job: DoubleJob) => SummaryLineNumberKey);
  readonly projectVersions?: readonly string[];
  readonly jobIdSeed: string;
}

type FailureDecider = (job: DoubleJob) => JobFailure | undefined;

/** The job state behind StartMediaAnalysisJob, GetMediaAnalysisJob and ListMediaAnalysisJobs. */
export class JobRunner {
  readonly jobs: DoubleJob[] = [];
  private readonly byToken = new Map<string, DoubleJob>();
  private readonly deciders: FailureDecider[] = [];
  private readonly nextFailures: JobFailure[] = [];
  private lock: Promise<unknown> = Promise.resolve();

  constructor(private readonly settings: JobRunnerSettings) {}

  /** One job-changing step at a time: starts and settlements never interleave. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.lock.then(work, work);
    this.lock = run.catch(() => undefined);
    return run;
  }

  failWhen(decider: FailureDecider): () => void {
    this.deciders.push(decider);
    return () => {
      const index = this.deciders.indexOf(decider);
      if (index >= 0) this.deciders.splice(index, 1);
    };
  }

  failNext(failure: JobFailure): void {
    this.nextFailures.push(failure);
  }

  active(): number {
    const now = this.settings.clock.now();
    return this.jobs.filter((job) => isActive(job, now)).length;
  }

  find(jobId: string): DoubleJob | undefined {
    return this.jobs.find((job) => job.JobId === jobId);
  }

  /** StartMediaAnalysisJob after validation: idempotency, the job limit, the manifest, the job. */
  start(body: any): Promise<{ JobId: string }> {
    return this.exclusive(async () => {
      const { ClientRequestToken: token, ...request } = body;
      const requestKey = canonicalJson(request);
      const earlier = token !== undefined ? this.byToken.get(token) : undefined;
      if (earlier) {
        if (earlier.requestKey !== requestKey) {
          throw new AwsErrorReply('IdempotentParameterMismatchException', `ClientRequestToken ${token} was used with other parameters`, 400);
        }
        return { JobId: earlier.JobId };
      }
      if (this.active() >= this.settings.concurrentJobLimit) {
        throw new AwsErrorReply('LimitExceededException', `More than ${this.settings.concurrentJobLimit} concurrent media analysis jobs`, 400);
      }
      const adapter = body.OperationsConfig?.DetectModerationLabels?.ProjectVersion;
      if (adapter !== undefined && this.settings.projectVersions && !this.settings.projectVersions.includes(adapter)) {
        throw new AwsErrorReply('ResourceNotFoundException', `Project version ${adapter} not found`, 400);
      }

      const { S3Object } = body.Input;
      const read = await this.readManifest(S3Object);
      if (read.problem && this.settings.manifestErrors === 'start') {
        throw new AwsErrorReply(read.problem.exception, read.problem.message, 400);
      }
      const now = this.settings.clock.now();
      const sequence = this.jobs.length + 1;
      const duration = typeof this.settings.jobDurationSeconds === 'function'
        ? this.settings.jobDurationSeconds({ Input: body.Input, JobName: body.JobName })
        : this.settings.jobDurationSeconds;
      const job: DoubleJob = {
        JobId: createHash('sha256').update(`${this.settings.jobIdSeed}:${sequence}`).digest('hex'),
        ...(body.JobName !== undefined && { JobName: body.JobName }),
        ...(token !== undefined && { ClientRequestToken: token }),
        requestKey,
        OperationsConfig: body.OperationsConfig,
        Input: body.Input,
        OutputConfig: body.OutputConfig,
        ...(body.KmsKeyId !== undefined && { KmsKeyId: body.KmsKeyId }),
        createdAt: now,
        inProgressAt: now + Math.min(this.settings.createdSeconds, duration) * 1000,
        completesAt: now + duration * 1000,
        ...(read.text !== undefined && { manifest: read.text }),
        versionIgnored: S3Object.Version !== undefined && !this.settings.view.versioning,
      };
      job.failure = read.problem
        ? { Code: read.problem.code, Message: read.problem.message }
        : this.nextFailures.shift() ?? this.deciders.map((decide) => decide(job)).find((failure) => failure !== undefined);
      this.jobs.push(job);
      if (token !== undefined) this.byToken.set(token, job);
      return { JobId: job.JobId };
    });
  }

  /** Writes the outputs of every job whose time is up. */
  settleDue(): Promise<void> {
    return this.exclusive(async () => {
      const now = this.settings.clock.now();
      for (const job of this.jobs) {
        if (!job.settled && now >= job.completesAt) await this.settle(job);
      }
    });
  }

  private async settle(job: DoubleJob): Promise<void> {
    const { S3Bucket: bucket, S3KeyPrefix: prefix } = job.OutputConfig;
    const keys = outputKeys(prefix, job.JobId);
    const failure = job.failure;
    if (failure && !(failure.writeSummary && job.manifest !== undefined)) {
      job.settled = { Status: 'FAILED', FailureDetails: { Code: failure.Code, Message: failure.Message ?? `${failure.Code} (scripted in the Rekognition double)` } };
      return;
    }
    const minConfidence = job.OperationsConfig?.DetectModerationLabels?.MinConfidence;
    const analysis = await analyseManifest(job.manifest ?? '', this.settings.view, minConfidence);
    const lineNumberKey = typeof this.settings.summaryLineNumberKey === 'function'
      ? this.settings.summaryLineNumberKey(job)
      : this.settings.summaryLineNumberKey;
    const summary = {
      version: '1.0',
      statistics: {
        'total-json-lines': analysis.totalLines,
        'valid-json-lines': analysis.validLines,
        'invalid-json-lines': analysis.totalLines - analysis.validLines,
      },
      errors: analysis.errors.map((error) => ({
        [lineNumberKey]: error.lineNumber,
        ...(error.sourceRef !== undefined && { 'source-ref': error.sourceRef }),
        code: error.code,
        message: error.message,
      })),
    };
    try {
      await this.settings.view.write(bucket, keys.summary, JSON.stringify(summary), 'application/json', job.KmsKeyId);
      if (!failure) {
        await this.settings.view.write(bucket, keys.results, analysis.outputLines.map((line) => `${line}\n`).join(''), 'application/jsonl', job.KmsKeyId);
      }
    } catch (error) {
      const missing = (error as { name?: string }).name === 'NoSuchBucket';
      job.settled = {
        Status: 'FAILED',
        FailureDetails: { Code: missing ? 'INVALID_OUTPUT_CONFIG' : 'ACCESS_DENIED', Message: `Cannot write to s3://${bucket}: ${(error as Error).message}` },
      };
      return;
    }
    const ManifestSummary = { S3Object: { Bucket: bucket, Name: keys.summary } };
    job.settled = failure
      ? { Status: 'FAILED', FailureDetails: { Code: failure.Code, Message: failure.Message ?? failure.Code }, ManifestSummary }
      : { Status: 'SUCCEEDED', Results: { S3Object: { Bucket: bucket, Name: keys.results }, ModelVersions: { Moderation: '7.0' } }, ManifestSummary };
  }

  private async readManifest(object: { Bucket: string; Name: string; Version?: string }): Promise<{
    text?: string;
    problem?: { exception: string; code: FailureCode; message: string };
  }> {
    const where = `s3://${object.Bucket}/${object.Name}`;
    const read = await this.settings.view.read(object.Bucket, object.Name, object.Version, this.settings.maxManifestBytes);
    if (!read.ok) return { problem: unreadable(read.reason, read.message) };
    const manifest = (exception: string, message: string) => ({ problem: { exception, code: 'INVALID_MANIFEST' as const, message: `${where}: ${message}` } });
    if (read.size > this.settings.maxManifestBytes) {
      return manifest('InvalidManifestException', `the manifest is larger than ${this.settings.maxManifestBytes} bytes (${read.size})`);
    }
    const text = read.body.toString('utf8');
    const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '').length;
    if (lines === 0) return { text, ...manifest('InvalidManifestException', 'the manifest is empty') };
    if (lines > this.settings.maxManifestLines) {
      return { text, ...manifest('InvalidManifestException', `the manifest has more than ${this.settings.maxManifestLines} lines (${lines})`) };
    }
    return { text };
  }
}

function unreadable(reason: ReadFailure, message: string): { exception: string; code: FailureCode; message: string } {
  return reason === 'access-denied'
    ? { exception: 'AccessDeniedException', code: 'ACCESS_DENIED', message }
    : { exception: 'InvalidS3ObjectException', code: 'INVALID_S3_OBJECT', message };
}
