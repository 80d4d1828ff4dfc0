import type { GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { HandlerErrorName } from '../../lib/common/contract/error-names';
import { type S3Location } from '../../lib/common/contract/s3-location';
import { errorCode, HandlerError } from '../common/errors';
import { lazyS3 } from '../common/lazy-clients';
import { log } from '../common/log';
import { ManifestValidation, validateManifest } from '../common/manifest-validation';
import type { TriggerConfig } from './config';
import { ValidationSection, writeValidationReport } from './error-report';
import type { JobIdentity } from './outcome';


/**
 * The trigger's pre-validation step: one GetObject of the manifest (the event's version), streamed
 * through validateManifest before StartMediaAnalysisJob. It costs one S3 GET request and the
 * Lambda time to read the manifest (see bench/manifest-validation.mjs). The trigger's role already
 * reads manifests (s3:GetObject, s3:GetObjectVersion on the input bucket): Rekognition reads them
 * with the same permissions.
 */

export type ManifestRejectionCode = typeof HandlerErrorName.MANIFEST_VALIDATION_FAILED
  | typeof HandlerErrorName.MANIFEST_NOT_FOUND
  | typeof HandlerErrorName.MANIFEST_ACCESS_DENIED;

/** A manifest no job is started for. Its name is the error code; classifyError deems it permanent. */
export class ManifestRejectedError extends HandlerError {
  public readonly validation?: ValidationSection;

  constructor(name: ManifestRejectionCode, message: string, validation?: ValidationSection) {
    super(name, message);
    if (validation !== undefined) this.validation = validation;
  }
}

const NOT_FOUND = new Set(['NoSuchKey', 'NoSuchVersion', 'NoSuchBucket', 'NotFound']);

/**
 * Reads and validates the manifest. Returns the validation (verdict 'ok' or 'warnings'), or
 * undefined when validation is turned off. Throws ManifestRejectedError for a rejected, missing or
 * unreadable manifest, and S3's other errors as they are (SlowDown, 5xx, a broken connection:
 * retryable for classifyError).
 */
export async function checkManifest(manifest: S3Location, config: TriggerConfig, fields: Record<string, unknown>): Promise<ManifestValidation | undefined> {
  if (config.validateManifests === false) return undefined;
  const started = Date.now();
  const { sdk, client } = await lazyS3();
  let response: GetObjectCommandOutput;
  try {
    response = await client.send(new sdk.GetObjectCommand({
      Bucket: manifest.bucket,
      Key: manifest.key,
      ...(manifest.version !== undefined && { VersionId: manifest.version }),
    }));
  } catch (error) {
    throw readFailure(manifest, error);
  }

  const body = (response.Body ?? []) as AsyncIterable<Uint8Array> & { destroy?: () => void };
  let validation: ManifestValidation;
  try {
    validation = await validateManifest(body, { contentLength: response.ContentLength, allowedBuckets: config.imageBuckets });
  } finally {
    // Frees the connection when reading stopped early (or never began: TOO_LARGE).
    body.destroy?.();
  }

  const { verdict, totalLines, invalidLines, bytes, rejectReason } = validation;
  log(verdict === 'reject' ? 'WARN' : 'INFO', 'manifest validated', {
    ...fields, verdict, totalLines, invalidLines, bytes, durationMs: Date.now() - started, ...(rejectReason && { rejectCode: rejectReason.code }),
  });
  if (rejectReason) {
    throw new ManifestRejectedError(HandlerErrorName.MANIFEST_VALIDATION_FAILED, `${rejectReason.code}: ${rejectReason.message}`, validationSection(validation));
  }
  return validation;
}

/**
 * Writes validation-report.json beside the results of a job started despite problem lines.
 * Best effort: the job's own summary reports those lines too, so a failed write is only logged.
 */
export async function reportWarnings(job: JobIdentity, jobId: string, validation: ManifestValidation, config: TriggerConfig, fields: Record<string, unknown>): Promise<string | undefined> {
  const { outputBucket, kmsKeyId } = config.settings;
  const report = {
    manifest: { bucket: job.manifest.bucket, key: job.manifest.key, version: job.manifest.version ?? null },
    token: job.token,
    jobName: job.jobName,
    jobId,
    time: new Date().toISOString(),
    advice: 'The job was started; Rekognition will skip the lines listed under validation.errors. Fix them and upload the manifest again to analyse those images too.',
    validation: validationSection(validation),
  };
  try {
    return await writeValidationReport(outputBucket, job.outputPrefix, report, kmsKeyId);
  } catch (error) {
    log('WARN', 'validation report not written', { ...fields, jobId, errorCode: errorCode(error), error: String(error) });
    return undefined;
  }
}

export function validationSection(validation: ManifestValidation): ValidationSection {
  return {
    verdict: validation.verdict,
    rejectReason: validation.rejectReason ?? null,
    statistics: {
      totalLines: validation.totalLines,
      validLines: validation.validLines,
      invalidLines: validation.invalidLines,
      bytes: validation.bytes,
      complete: validation.complete,
    },
    errorCount: validation.errorCount,
    errors: [...validation.errors],
  };
}

/** A missing manifest and a refused read are permanent; anything else is left to classifyError. */
function readFailure(manifest: S3Location, error: unknown): unknown {
  const code = errorCode(error);
  const status = httpStatus(error);
  const detail = `${code}${error instanceof Error && error.message ? `: ${error.message}` : ''}`;
  const what = `s3://${manifest.bucket}/${manifest.key}${manifest.version !== undefined ? ` (version ${manifest.version})` : ''}`;
  if (NOT_FOUND.has(code) || status === 404) {
    return new ManifestRejectedError(HandlerErrorName.MANIFEST_NOT_FOUND, `The manifest ${what} no longer exists (${detail}): it was deleted before its job could start.`);
  }
  if (code === 'AccessDenied' || status === 403) {
    return new ManifestRejectedError(
      HandlerErrorName.MANIFEST_ACCESS_DENIED,
      `Reading the manifest ${what} was denied (${detail}). Either the trigger function may not read it (s3:GetObject, s3:GetObjectVersion, kms:Decrypt on its key), `
        + 'or it no longer exists: S3 answers 403 for a missing key to a reader without s3:ListBucket.',
    );
  }
  return error;
}

function httpStatus(error: unknown): number | undefined {
  const metadata = typeof error === 'object' && error !== null ? (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata : undefined;
  return typeof metadata?.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
}
