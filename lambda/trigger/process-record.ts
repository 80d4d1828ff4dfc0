import { StartMediaAnalysisJobCommand } from '@aws-sdk/client-rekognition';
import type { RekognitionClient } from '@aws-sdk/client-rekognition';
import type { SQSRecord } from 'aws-lambda';
import type { ValidationSection } from './error-report';
import { classifyError, errorCode, retryDelaySeconds } from '../common/errors';
import { buildStartRequest, deriveJobName, deriveOutputPrefix, deriveToken } from '../common/job-request';
import { log } from '../common/log';
import { ManifestEvent, parseS3EventBody } from './s3-event';
import type { TrackingInput } from '../../lib/tracking/tracking-contract';
import type { TriggerConfig } from './config';
import { deferOrFail } from './defer-or-fail';
import { decideDisposition } from './disposition';
import type { JobIdentity, ManifestOutcome, RecordOutcome } from './outcome';
import { rememberedRefusal, rememberRefusal } from './bulk-refusal';
import { fallbackReason, isBulkAnalysisRefused } from './start-per-image';
import { startTracking, TrackingStart, trackingInput } from './start-tracking';
import type { ManifestValidation } from '../common/manifest-validation';

/** Shared by the records of one batch. */
export interface BatchState {
  /** Set by the first LimitExceededException: later manifests are deferred without calling Rekognition. */
  capacityExhausted: boolean;
  /** Set by the first call still throttled after the SDK's retries: later manifests are deferred without calling. */
  throttled?: boolean;
  /** Whether manifests already wait in the backlog (asked once per batch); absent: no backlog to wait behind. */
  backlogWaiting?: () => Promise<boolean>;
}

export interface RecordContext {
  readonly config: TriggerConfig;
  readonly rekognition: RekognitionClient;
  readonly batch: BatchState;
}

/** Starts a job for every manifest the message names; decides what becomes of the message. */
export async function processRecord(record: SQSRecord, context: RecordContext): Promise<RecordOutcome> {
  const attempt = receiveCount(record);
  const parsed = parseS3EventBody(record.body);
  if (parsed.kind === 'skip') {
    log('INFO', 'message skipped', { outcome: 'skipped', messageId: record.messageId, reason: parsed.reason });
    return { kind: 'skipped', reason: parsed.reason, disposition: { action: 'ack' } };
  }
  if (parsed.ignored.length > 0) {
    log('INFO', 'records skipped', { outcome: 'skipped', messageId: record.messageId, reason: parsed.ignored.join('; ') });
  }

  const manifests: ManifestOutcome[] = [];
  for (const event of parsed.manifests) {
    manifests.push(await processManifest(event, attempt, context));
  }
  return { kind: 'processed', manifests, disposition: decideDisposition(manifests, attempt, context.config) };
}

/** ApproximateReceiveCount: 1 on the first delivery. */
export function receiveCount(record: SQSRecord): number {
  const count = Number(record.attributes?.ApproximateReceiveCount);
  return Number.isInteger(count) && count >= 1 ? count : 1;
}

async function processManifest(event: ManifestEvent, attempt: number, context: RecordContext): Promise<ManifestOutcome> {
  const { settings } = context.config;
  const { manifest } = event;
  const token = deriveToken(manifest.bucket, manifest.key, event.revision);
  const job: JobIdentity = {
    manifest,
    token,
    jobName: deriveJobName(settings.jobNamePrefix, manifest.key, token),
    outputPrefix: deriveOutputPrefix(settings.outputPrefix, manifest.key, token),
  };
  const fields = {
    manifest: `s3://${manifest.bucket}/${manifest.key}`,
    version: manifest.version,
    token,
    jobName: job.jobName,
    attempt,
  };

  if (context.batch.capacityExhausted || context.batch.throttled) {
    const [errorClass, code, reason] = context.batch.capacityExhausted
      ? ['capacity', 'LimitExceededException', 'no free job slot'] as const
      : ['throttled', 'ThrottlingException', 'throttled'] as const;
    const delaySeconds = retryDelaySeconds(errorClass, attempt);
    log('INFO', `job deferred: ${reason} earlier in this batch`, { ...fields, outcome: 'deferred', errorCode: code, delaySeconds, shortCircuited: true });
    return { outcome: 'deferred', job, errorCode: code, delaySeconds, shortCircuited: true, waitsForTurn: true };
  }
  if (startsBulkJob(context.config) && await context.batch.backlogWaiting?.()) {
    // First come, first served: a new manifest queues behind those already waiting for a slot.
    const delaySeconds = retryDelaySeconds('capacity', attempt);
    log('INFO', 'job deferred: manifests already wait for a free job slot', { ...fields, outcome: 'deferred', errorCode: BACKLOG_WAITING, delaySeconds, shortCircuited: true });
    return { outcome: 'deferred', job, errorCode: BACKLOG_WAITING, delaySeconds, shortCircuited: true, waitsForTurn: true };
  }

  let error: unknown;
  try {
    const request = buildStartRequest(manifest, settings, token, job.jobName);
    const validation = await checkManifest(manifest, context.config, fields);
    if (context.config.engine === 'per-image') {
      return await runPerImage(job, context.config, fields, attempt);
    }
    const remembered = context.config.engine === 'auto' ? rememberedRefusal() : undefined;
    if (remembered !== undefined) {
      return await runPerImage(job, context.config, fields, attempt, remembered);
    }
    const response = await context.rekognition.send(new StartMediaAnalysisJobCommand(request));
    if (response.JobId) {
      const validationReport = validation?.verdict === 'warnings'
        ? await (await import('./validate-manifest')).reportWarnings(job, response.JobId, validation, context.config, fields)
        : undefined;
      const tracking = await track(job, trackingInput(job, context.config, { jobId: response.JobId }), fields, attempt, context.config);
      if (tracking.failure) return tracking.failure;
      log('INFO', 'job started', { ...fields, outcome: 'started', jobId: response.JobId, outputPrefix: job.outputPrefix, tracking: tracking.state, ...(validationReport && { validationReport }) });
      return { outcome: 'started', job: { ...job, engine: 'bulk', jobId: response.JobId } };
    }
    // Neither permanent nor transient: an unexpected failure, retried and then dead-lettered.
    error = Object.assign(new Error('StartMediaAnalysisJob returned no JobId'), { name: 'MissingJobId' });
  } catch (caught) {
    error = caught;
  }

  if (context.config.engine === 'auto' && isBulkAnalysisRefused(error)) {
    const reason = fallbackReason(error);
    rememberRefusal(reason);
    return runPerImage(job, context.config, fields, attempt, reason);
  }
  const code = errorCode(error);
  if (code === IDEMPOTENT_PARAMETER_MISMATCH) {
    log('WARN', 'job already started for this manifest version with other settings: the first job stays its one fate; message acknowledged',
      { ...fields, outcome: 'already-started', errorCode: code });
    return { outcome: 'already-started', job, errorCode: code };
  }
  const message = error instanceof Error ? error.message : String(error);
  const errorClass = classifyError(error);
  switch (errorClass) {
    case 'capacity':
    case 'throttled':
    case 'transient': {
      if (errorClass === 'capacity') {
        context.batch.capacityExhausted = true;
      } else if (errorClass === 'throttled') {
        context.batch.throttled = true;
      }
      const delaySeconds = retryDelaySeconds(errorClass, attempt);
      log('WARN', `job deferred: ${errorClass}`, { ...fields, outcome: 'deferred', errorCode: code, delaySeconds });
      return { outcome: 'deferred', job, errorCode: code, delaySeconds, shortCircuited: false, waitsForTurn: errorClass !== 'transient' };
    }
    case 'permanent':
      return reject(job, code, message, fields, attempt, context.config, (error as { validation?: ValidationSection }).validation);
    case 'unexpected':
      log('ERROR', 'unexpected failure', { ...fields, errorCode: code, error: message });
      return { outcome: 'failed', job, errorCode: code, message };
  }
}

/** The deferral's code when a manifest queues behind the backlog without asking Rekognition. */
const BACKLOG_WAITING = 'BacklogWaiting';

/** Whether a manifest would take a concurrent-job slot now: a bulk job, not a per-image run. */
export function startsBulkJob(config: TriggerConfig): boolean {
  return config.engine === 'bulk' || (config.engine === 'auto' && rememberedRefusal() === undefined);
}

/**
 * Rekognition's answer to a token it already started a job for, now sent with other parameters:
 * a redelivered event after a redeploy changed the job settings. The job of that first call is
 * the manifest's one fate (with its own tracking and event), so nothing is written or published.
 */
const IDEMPOTENT_PARAMETER_MISMATCH = 'IdempotentParameterMismatchException';

async function reject(
  job: JobIdentity,
  code: string,
  message: string,
  fields: Record<string, unknown>,
  attempt: number,
  config: TriggerConfig,
  validation?: ValidationSection,
): Promise<ManifestOutcome> {
  const { outputBucket, kmsKeyId } = config.settings;
  const { errorAdvice, writeErrorReport } = await import('./error-report');
  const report = {
    manifest: { bucket: job.manifest.bucket, key: job.manifest.key, version: job.manifest.version ?? null },
    token: job.token,
    jobName: job.jobName,
    errorCode: code,
    message,
    time: new Date().toISOString(),
    advice: errorAdvice(code),
    ...(validation !== undefined && { validation }),
  };
  let errorReport: string;
  try {
    errorReport = await writeErrorReport(outputBucket, job.outputPrefix, report, kmsKeyId);
  } catch (writeError) {
    const writeCode = errorCode(writeError);
    const writeMessage = `${code}: ${message}; writing the error report failed with ${writeCode}: ${writeError instanceof Error ? writeError.message : String(writeError)}`;
    log('ERROR', 'unexpected failure: error report not written', { ...fields, errorCode: writeCode, error: writeMessage });
    return { outcome: 'failed', job, errorCode: writeCode, message: writeMessage };
  }
  // The completion event of a manifest that never got a job comes from the same workflow as every other one.
  const input = trackingInput(job, config, { startFailure: { code, message, errorReport } });
  const tracking = await track(job, input, fields, attempt, config);
  if (tracking.failure) return tracking.failure;
  log('ERROR', 'manifest rejected', { ...fields, outcome: 'rejected', errorCode: code, error: message, errorReport, tracking: tracking.state });
  return { outcome: 'rejected', job, errorCode: code, errorReport };
}

/**
 * Everything below runs only on some paths (validation reads the manifest through the lazily
 * loaded S3 client anyway; per-image runs only with those engines), so it is loaded on first
 * use and stays out of the cold start.
 */
async function checkManifest(manifest: JobIdentity['manifest'], config: TriggerConfig, fields: Record<string, unknown>): Promise<ManifestValidation | undefined> {
  if (config.validateManifests === false) return undefined;
  return (await import('./validate-manifest')).checkManifest(manifest, config, fields);
}

async function runPerImage(...args: Parameters<typeof import('./run-per-image').runPerImage>): Promise<ManifestOutcome> {
  return (await import('./run-per-image')).runPerImage(...args);
}

/** Starts the tracking execution; when that fails the manifest is not done (see deferOrFail). */
async function track(
  job: JobIdentity,
  input: TrackingInput,
  fields: Record<string, unknown>,
  attempt: number,
  config: TriggerConfig,
): Promise<{ state?: TrackingStart; failure?: ManifestOutcome }> {
  try {
    return { state: await startTracking(input, config) };
  } catch (error) {
    return { failure: deferOrFail(job, error, 'tracking not started', fields, attempt) };
  }
}
