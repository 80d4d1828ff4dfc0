import { createHash } from 'node:crypto';

import type { StartMediaAnalysisJobCommandInput } from '@aws-sdk/client-rekognition';
import { type S3Location } from '../../lib/common/contract/s3-location';


/** Settings shared by every job the trigger starts. */
export interface JobSettings {
  readonly outputBucket: string;
  /** '' or a prefix ending in '/'; each manifest gets its own folder below it. */
  readonly outputPrefix: string;
  readonly kmsKeyId?: string;
  readonly minConfidence?: number;
  /** Adapter (project version) ARN. */
  readonly projectVersion?: string;
  readonly jobNamePrefix: string;
}

/** A request field outside the limits of StartMediaAnalysisJob; never worth retrying. */
export class InvalidJobRequestError extends Error {
  public readonly field: string;

  constructor(field: string, value: unknown, rule: string) {
    super(`Invalid ${field}: must be ${rule} (given ${describe(value)})`);
    this.name = 'InvalidJobRequest';
    this.field = field;
  }
}

const MAX_JOB_NAME = 64;
const TOKEN_IN_JOB_NAME = 8;
const TOKEN_IN_PREFIX = 16;
const MAX_OUTPUT_PREFIX_BYTES = 800;

const TOKEN_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
const JOB_NAME_PATTERN = /^[a-zA-Z0-9_.-]{1,64}$/;
const BUCKET_PATTERN = /^[0-9A-Za-z._-]{3,255}$/;
const KMS_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9:_/+=,@.-]{0,2047}$/;
const NO_WHITESPACE = /^\S*$/;

/** ClientRequestToken: the same parts always give the same 64-hex-character token. */
export function deriveToken(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\n'), 'utf8').digest('hex');
}

/** A readable, valid JobName: prefix + sanitised file name + '-' + 8 token characters. */
export function deriveJobName(jobNamePrefix: string, manifestKey: string, token: string): string {
  const basename = manifestKey.slice(manifestKey.lastIndexOf('/') + 1);
  const readable = Array.from(jobNamePrefix + basename, (char) => (/^[a-zA-Z0-9_.-]$/.test(char) ? char : '_')).join('');
  const suffix = `-${token.slice(0, TOKEN_IN_JOB_NAME)}`;
  return readable.slice(0, MAX_JOB_NAME - suffix.length) + suffix;
}

/**
 * The manifest's own folder under the output prefix: its key with whitespace replaced (S3KeyPrefix
 * must match \S*), shortened by whole code points to keep the prefix within 800 UTF-8 bytes, then
 * 16 token characters so two manifests never share a folder.
 */
export function deriveOutputPrefix(outputPrefix: string, manifestKey: string, token: string): string {
  const tail = `/${token.slice(0, TOKEN_IN_PREFIX)}`;
  let budget = MAX_OUTPUT_PREFIX_BYTES - Buffer.byteLength(outputPrefix + tail, 'utf8');
  let safeKey = '';
  for (const char of manifestKey.replace(/\s/g, '_')) {
    budget -= Buffer.byteLength(char, 'utf8');
    if (budget < 0) {
      break;
    }
    safeKey += char;
  }
  return outputPrefix + safeKey + tail;
}

/** Throws InvalidJobRequestError for the first setting outside the API's limits. */
export function validateJobSettings(settings: JobSettings): void {
  check('OutputConfig.S3Bucket', settings.outputBucket, BUCKET_PATTERN.test(settings.outputBucket), '3-255 characters of [0-9A-Za-z._-]');
  if (settings.kmsKeyId !== undefined) {
    check('KmsKeyId', settings.kmsKeyId, KMS_KEY_PATTERN.test(settings.kmsKeyId), 'a key id, alias or ARN matching ^[A-Za-z0-9][A-Za-z0-9:_/+=,@.-]{0,2047}$');
  }
  if (settings.minConfidence !== undefined) {
    const value = settings.minConfidence;
    check('DetectModerationLabels.MinConfidence', value, Number.isFinite(value) && value >= 0 && value <= 100, 'a number from 0 to 100');
  }
  if (settings.projectVersion !== undefined) {
    const length = settings.projectVersion.length;
    check('DetectModerationLabels.ProjectVersion', settings.projectVersion, length >= 20 && length <= 2048, 'an adapter ARN of 20-2048 characters');
  }
}

/** The complete StartMediaAnalysisJob request for one manifest, every field checked. */
export function buildStartRequest(
  manifest: S3Location,
  settings: JobSettings,
  token: string,
  jobName: string,
): StartMediaAnalysisJobCommandInput {
  validateJobSettings(settings);
  check('ClientRequestToken', token, TOKEN_PATTERN.test(token), '1-64 characters of [a-zA-Z0-9_-]');
  check('JobName', jobName, JOB_NAME_PATTERN.test(jobName), '1-64 characters of [a-zA-Z0-9_.-]');
  check('Input.S3Object.Bucket', manifest.bucket, BUCKET_PATTERN.test(manifest.bucket), '3-255 characters of [0-9A-Za-z._-]');
  check('Input.S3Object.Name', manifest.key, manifest.key.length >= 1 && manifest.key.length <= 1024, '1-1024 characters');
  if (manifest.version !== undefined) {
    const length = manifest.version.length;
    check('Input.S3Object.Version', manifest.version, length >= 1 && length <= 1024, '1-1024 characters');
  }
  const keyPrefix = deriveOutputPrefix(settings.outputPrefix, manifest.key, token);
  check(
    'OutputConfig.S3KeyPrefix',
    keyPrefix,
    NO_WHITESPACE.test(keyPrefix) && Buffer.byteLength(keyPrefix, 'utf8') <= MAX_OUTPUT_PREFIX_BYTES,
    'at most 800 bytes without whitespace',
  );

  const moderation = {
    ...(settings.minConfidence !== undefined && { MinConfidence: settings.minConfidence }),
    ...(settings.projectVersion !== undefined && { ProjectVersion: settings.projectVersion }),
  };
  return {
    ClientRequestToken: token,
    JobName: jobName,
    OperationsConfig: { DetectModerationLabels: moderation },
    Input: {
      S3Object: {
        Bucket: manifest.bucket,
        Name: manifest.key,
        ...(manifest.version !== undefined && { Version: manifest.version }),
      },
    },
    OutputConfig: { S3Bucket: settings.outputBucket, S3KeyPrefix: keyPrefix },
    ...(settings.kmsKeyId !== undefined && { KmsKeyId: settings.kmsKeyId }),
  };
}

function check(field: string, value: unknown, valid: boolean, rule: string): void {
  if (!valid) {
    throw new InvalidJobRequestError(field, value, rule);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string' && value.length > 64) {
    return `${JSON.stringify(value.slice(0, 64))}..., ${value.length} characters`;
  }
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
