import { lazyS3 } from '../common/lazy-clients';

/** What a person needs to fix a manifest that can never be processed as it is. */
export interface ErrorReport {
  manifest: { bucket: string; key: string; version: string | null };
  token: string;
  jobName: string;
  errorCode: string;
  message: string;
  time: string;
  advice: string;
  /** Set when the manifest's pre-validation rejected it. */
  validation?: ValidationSection;
}

/** What pre-validation found, in error-report.json (reject) and validation-report.json (warnings). */
export interface ValidationSection {
  verdict: 'ok' | 'warnings' | 'reject';
  /** Set for a reject: the reason no job was started. */
  rejectReason: { code: string; message: string } | null;
  /** complete false: reading stopped early, the counts cover the lines read. */
  statistics: { totalLines: number; validLines: number; invalidLines: number; bytes: number; complete: boolean };
  /** One per problem line; `errors` holds the first of them. */
  errorCount: number;
  errors: Array<{ lineNumber: number; sourceRef: string | null; code: string; message: string }>;
}

/** Written beside the results of a job started despite problem lines. */
export interface ValidationReport {
  manifest: { bucket: string; key: string; version: string | null };
  token: string;
  jobName: string;
  jobId: string;
  time: string;
  advice: string;
  validation: ValidationSection;
}

const ADVICE: Record<string, string> = {
  InvalidManifestException:
    'Make the manifest JSON Lines with one {"source-ref":"s3://bucket/key"} per line, not empty, at most 10,000 lines and 50 MB, then upload it again.',
  InvalidS3ObjectException:
    'Check that the manifest and every image it lists exist, are JPEG or PNG of at most 15 MB and at least 80 px, and are in the Region of the pipeline, then upload the manifest again.',
  InvalidParameterException:
    'Check the pipeline settings (minimum confidence, adapter ARN, KMS key, output bucket and prefix) against the StartMediaAnalysisJob limits, then upload the manifest again.',
  AccessDeniedException:
    'Let the trigger function read the manifest and its images, write to the output bucket and use the KMS key, then upload the manifest again.',
  ResourceNotFoundException:
    'Check that the manifest, its images and the adapter (project version) exist in this account and Region, then upload the manifest again.',
  InvalidJobRequest:
    'Fix the field named in the message (for example shorten the manifest key) and upload the manifest again.',
  ManifestValidationFailed:
    'Fix what validation.rejectReason describes (the lines are listed under validation.errors with their numbers), then upload the manifest again.',
  ManifestNotFound:
    'The manifest (or the version the event named) was deleted before its job could start; upload it again if it should still be processed.',
  ManifestAccessDenied:
    'Let the trigger function read the manifest (s3:GetObject, s3:GetObjectVersion, kms:Decrypt on its key) and check it still exists, then upload it again.',
};

const DEFAULT_ADVICE = 'Read the message and the trigger function logs, fix the cause, then upload the manifest again.';

export function errorAdvice(errorCode: string): string {
  return ADVICE[errorCode] ?? DEFAULT_ADVICE;
}

export function errorReportKey(manifestOutputPrefix: string): string {
  return `${manifestOutputPrefix}/error-report.json`;
}

export function validationReportKey(manifestOutputPrefix: string): string {
  return `${manifestOutputPrefix}/validation-report.json`;
}

/** Writes the report next to where the job's results would have gone; returns its s3:// URI. */
export async function writeErrorReport(
  bucket: string,
  manifestOutputPrefix: string,
  report: ErrorReport,
  kmsKeyId?: string,
): Promise<string> {
  return putJson(bucket, errorReportKey(manifestOutputPrefix), report, kmsKeyId);
}

/** Writes the validation report next to the job's results; returns its s3:// URI. */
export async function writeValidationReport(
  bucket: string,
  manifestOutputPrefix: string,
  report: ValidationReport,
  kmsKeyId?: string,
): Promise<string> {
  return putJson(bucket, validationReportKey(manifestOutputPrefix), report, kmsKeyId);
}

async function putJson(bucket: string, key: string, report: object, kmsKeyId?: string): Promise<string> {
  const { sdk, client } = await lazyS3();
  await client.send(
    new sdk.PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: JSON.stringify(report, null, 2),
      ContentType: 'application/json',
      ...(kmsKeyId !== undefined && { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: kmsKeyId }),
    }),
  );
  return `s3://${bucket}/${key}`;
}
