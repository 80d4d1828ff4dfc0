import { lazyS3 } from './lazy-clients';

/** What a person needs to fix a manifest that can never be processed as it is. */
export interface ErrorReport {
  manifest: { bucket: string; key: string; version: string | null };
  token: string;
  jobName: string;
  errorCode: string;
  message: string;
  time: string;
  advice: string;
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
  IdempotentParameterMismatchException:
    'A job for this manifest version was already started with other settings; upload the manifest again to start a new job with the current settings.',
  InvalidJobRequest:
    'Fix the field named in the message (for example shorten the manifest key) and upload the manifest again.',
};

const DEFAULT_ADVICE = 'Read the message and the trigger function logs, fix the cause, then upload the manifest again.';

export function errorAdvice(errorCode: string): string {
  return ADVICE[errorCode] ?? DEFAULT_ADVICE;
}

export function errorReportKey(manifestOutputPrefix: string): string {
  return `${manifestOutputPrefix}/error-report.json`;
}

/** Writes the report next to where the job's results would have gone; returns its s3:// URI. */
export async function writeErrorReport(
  bucket: string,
  manifestOutputPrefix: string,
  report: ErrorReport,
  kmsKeyId?: string,
): Promise<string> {
  const { sdk, client } = await lazyS3();
  const key = errorReportKey(manifestOutputPrefix);
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
