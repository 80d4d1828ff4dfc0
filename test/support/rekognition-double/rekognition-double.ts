import { AwsErrorReply, startJsonProtocolDouble } from '../json-protocol-double';
import { CallLog } from './calls';
import { SimulatedClock } from './clock';
import { detectModerationLabels } from './detect-moderation-labels';
import { FaultScript } from './faults';
import { describeJob, DoubleJob, JobFailure } from './jobs';
import { JobRunner, ManifestErrorMode, SummaryLineNumberKey } from './job-runner';
import { listJobs } from './list-jobs';
import { exceptionStatus, Operation, OPERATIONS, TARGET_PREFIX } from './operations';
import { S3View, S3ViewOptions } from './s3-view';
import { TokenBucket } from './token-bucket';
import { validateDetectRequest, validateGetRequest, validateListRequest, validateStartRequest } from './validation';

export interface RekognitionDoubleOptions {
  /** Where manifests and images are read and results written (s3rver), and the caller's view of it. */
  readonly s3: S3ViewOptions;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default a manual SimulatedClock at 2026-01-01T00:00:00Z */
  readonly clock?: SimulatedClock;
  /** Clock of the TPS quotas. @default `clock` */
  readonly quotaClock?: { now(): number };
  /** Simulated seconds from start to SUCCEEDED/FAILED, fixed or per job. @default 600 */
  readonly jobDurationSeconds?: number | ((job: { Input: DoubleJob['Input']; JobName?: string }) => number);
  /** Simulated seconds a job stays CREATED before IN_PROGRESS. @default 10 */
  readonly createdSeconds?: number;
  /** Jobs that may be CREATED or IN_PROGRESS at once. @default 5 */
  readonly concurrentJobLimit?: number;
  /**
   * Requests per second per operation (token bucket, a burst of one second's worth), or false for
   * none. @default StartMediaAnalysisJob 5, GetMediaAnalysisJob 20, ListMediaAnalysisJobs 5, DetectModerationLabels 50
   */
  readonly tps?: Partial<Record<Operation, number>> | false;
  /** Manifest missing, unreadable, empty or over the limits: a Start exception or a FAILED job. @default 'start' */
  readonly manifestErrors?: ManifestErrorMode;
  /** @default 10,000 */
  readonly maxManifestLines?: number;
  /** @default 50 MiB */
  readonly maxManifestBytes?: number;
  /** The summary's line-number key: the documented 'line-numer' or a corrected 'line-number', fixed or per job. @default 'line-numer' */
  readonly summaryLineNumberKey?: SummaryLineNumberKey | ((job: DoubleJob) => SummaryLineNumberKey);
  /** Adapters (ProjectVersion ARNs) that exist; others answer ResourceNotFoundException. @default any */
  readonly projectVersions?: readonly string[];
  /** Makes JobIds differ between doubles. @default 'rekognition-double' */
  readonly jobIdSeed?: string;
}

export const DEFAULT_TPS: Readonly<Record<Operation, number>> = {
  StartMediaAnalysisJob: 5,
  GetMediaAnalysisJob: 20,
  ListMediaAnalysisJobs: 5,
  DetectModerationLabels: 50,
};

/** Test-side control of the jobs. */
export interface JobControl {
  /** Every job, oldest first. */
  all(): readonly DoubleJob[];
  get(jobId: string): DoubleJob | undefined;
  /** Jobs CREATED or IN_PROGRESS now. */
  active(): number;
  /** The next started job ends FAILED with this. */
  failNext(failure: JobFailure): void;
  /** Started jobs for which `decide` returns a failure end FAILED with it; returns a remover. */
  failWhen(decide: (job: DoubleJob) => JobFailure | undefined): () => void;
  /** Writes the outputs of every job whose time is up (Get and List do it too). */
  settle(): Promise<void>;
  /** GetMediaAnalysisJob's answer for a job, now. */
  describe(jobId: string): Record<string, unknown> | undefined;
}

export interface RekognitionDouble {
  /** http://127.0.0.1:<port>: AWS_ENDPOINT_URL_REKOGNITION */
  readonly url: string;
  readonly region: string;
  readonly clock: SimulatedClock;
  readonly faults: FaultScript;
  readonly calls: CallLog;
  readonly jobs: JobControl;
  stop(): Promise<void>;
}

/** Starts the double on 127.0.0.1 (a free port). */
export async function startRekognitionDouble(options: RekognitionDoubleOptions): Promise<RekognitionDouble> {
  const region = options.region ?? 'us-east-1';
  const clock = options.clock ?? new SimulatedClock();
  const view = new S3View(options.s3, region);
  const faults = new FaultScript();
  const calls = new CallLog();
  const runner = new JobRunner({
    clock,
    view,
    concurrentJobLimit: options.concurrentJobLimit ?? 5,
    createdSeconds: options.createdSeconds ?? 10,
    jobDurationSeconds: options.jobDurationSeconds ?? 600,
    manifestErrors: options.manifestErrors ?? 'start',
    maxManifestLines: options.maxManifestLines ?? 10_000,
    maxManifestBytes: options.maxManifestBytes ?? 50 * 1024 * 1024,
    summaryLineNumberKey: options.summaryLineNumberKey ?? 'line-numer',
    projectVersions: options.projectVersions,
    jobIdSeed: options.jobIdSeed ?? 'rekognition-double',
  });
  const quotaClock = options.quotaClock ?? clock;
  const quotas = new Map<Operation, TokenBucket>();
  if (options.tps !== false) {
    for (const operation of OPERATIONS) {
      const rate = options.tps?.[operation] ?? DEFAULT_TPS[operation];
      quotas.set(operation, new TokenBucket(rate, quotaClock));
    }
  }
  const counts = new Map<Operation, number>();

  const serve = async (operation: Operation, body: any): Promise<unknown> => {
    const callNumber = (counts.get(operation) ?? 0) + 1;
    counts.set(operation, callNumber);
    const at = clock.now();
    try {
      const scripted = faults.take({ operation, body, callNumber });
      if (scripted) throw scripted;
      if (quotas.get(operation)?.tryTake() === false) {
        throw new AwsErrorReply('ThrottlingException', `Rate exceeded for ${operation}`, exceptionStatus('ThrottlingException'));
      }
      const response = await answer(operation, body);
      calls.record({ operation, body, at, response });
      return response;
    } catch (error) {
      const type = error instanceof AwsErrorReply ? error.type : 'InternalServerError';
      calls.record({ operation, body, at, error: type });
      throw error instanceof AwsErrorReply ? error : new AwsErrorReply('InternalServerError', String(error), 500);
    }
  };

  const answer = async (operation: Operation, body: any): Promise<unknown> => {
    switch (operation) {
      case 'StartMediaAnalysisJob':
        validateStartRequest(body);
        return runner.start(body);
      case 'GetMediaAnalysisJob': {
        validateGetRequest(body);
        await runner.settleDue();
        const job = runner.find(body.JobId);
        if (!job) throw new AwsErrorReply('ResourceNotFoundException', `Job ${body.JobId} not found`, 400);
        return describeJob(job, clock.now());
      }
      case 'ListMediaAnalysisJobs':
        validateListRequest(body);
        await runner.settleDue();
        return listJobs(body, runner.jobs, clock.now());
      case 'DetectModerationLabels':
        validateDetectRequest(body);
        return detectModerationLabels(body, view, options.projectVersions);
    }
  };

  const server = await startJsonProtocolDouble(Object.fromEntries(
    OPERATIONS.map((operation) => [`${TARGET_PREFIX}${operation}`, (body: any) => serve(operation, body)]),
  ));

  return {
    url: server.url,
    region,
    clock,
    faults,
    calls,
    jobs: {
      all: () => runner.jobs,
      get: (jobId) => runner.find(jobId),
      active: () => runner.active(),
      failNext: (failure) => runner.failNext(failure),
      failWhen: (decide) => runner.failWhen(decide),
      settle: () => runner.settleDue(),
      describe: (jobId) => {
        const job = runner.find(jobId);
        return job && describeJob(job, clock.now());
      },
    },
    stop: async () => {
      await server.stop();
      view.destroy();
    },
  };
}
