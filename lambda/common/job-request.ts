import { createHash } from 'node:crypto';

import type { StartMediaAnalysisJobCommandInput } from '@aws-sdk/client-rekognition';
import { HandlerErrorName } from '../../lib/common/contract/error-names';
import { type S3Location } from '../../lib/common/contract/s3-location';
import {
  bucketNameProblem,
  jobNameProblem,
  type JobSettings,
  kmsKeyIdProblem,
  minConfidenceProblem,
  outputPrefixProblem,
  projectVersionProblem,
  utf8Length,
} from '../../lib/trigger/trigger-contract';
import { HandlerError } from './errors';

export type { JobSettings } from '../../lib/trigger/trigger-contract';

/** A request field outside the limits of StartMediaAnalysisJob; never worth retrying. */
export class InvalidJobRequestError extends HandlerError {
  public readonly field: string;

  /** `problem` as the contract's checks word it: 'must be ...'. */
  constructor(field: string, value: unknown, problem: string) {
    super(HandlerErrorName.INVALID_JOB_REQUEST, `Invalid ${field}: ${problem} (given ${describe(value)})`);
    this.field = field;
  }
}

const MAX_JOB_NAME = 64;
const TOKEN_IN_JOB_NAME = 8;
const TOKEN_IN_PREFIX = 16;
/** Rekognition's limit on S3KeyPrefix. */
const MAX_KEY_PREFIX_BYTES = 800;

const TOKEN_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
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
  let budget = MAX_KEY_PREFIX_BYTES - utf8Length(outputPrefix + tail);
  let safeKey = '';
  for (const char of manifestKey.replace(/\s/g, '_')) {
    budget -= utf8Length(char);
    if (budget < 0) {
      break;
    }
    safeKey += char;
  }
  return outputPrefix + safeKey + tail;
}

/**
 * Throws InvalidJobRequestError for the first setting outside the API's limits, judged by the
 * contract's checks, the same ones the constructs run at synth.
 */
export function validateJobSettings(settings: JobSettings): void {
  check('OutputConfig.S3Bucket', settings.outputBucket, bucketNameProblem);
  check('OutputPrefix', settings.outputPrefix, outputPrefixProblem);
  if (settings.kmsKeyId !== undefined) check('KmsKeyId', settings.kmsKeyId, kmsKeyIdProblem);
  if (settings.minConfidence !== undefined) check('DetectModerationLabels.MinConfidence', settings.minConfidence, minConfidenceProblem);
  if (settings.projectVersion !== undefined) check('DetectModerationLabels.ProjectVersion', settings.projectVersion, projectVersionProblem);
}

/** The complete StartMediaAnalysisJob request for one manifest, every field checked. */
export function buildStartRequest(
  manifest: S3Location,
  settings: JobSettings,
  token: string,
  jobName: string,
): StartMediaAnalysisJobCommandInput {
  validateJobSettings(settings);
  check('ClientRequestToken', token, (value) => (TOKEN_PATTERN.test(value) ? undefined : 'must be 1-64 characters of [a-zA-Z0-9_-]'));
  check('JobName', jobName, jobNameProblem);
  check('Input.S3Object.Bucket', manifest.bucket, bucketNameProblem);
  check('Input.S3Object.Name', manifest.key, lengthProblem);
  if (manifest.version !== undefined) check('Input.S3Object.Version', manifest.version, lengthProblem);
  const keyPrefix = deriveOutputPrefix(settings.outputPrefix, manifest.key, token);
  check('OutputConfig.S3KeyPrefix', keyPrefix, (value) => (NO_WHITESPACE.test(value) && utf8Length(value) <= MAX_KEY_PREFIX_BYTES
    ? undefined : `must be at most ${MAX_KEY_PREFIX_BYTES} bytes without whitespace`));

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

function check<T>(field: string, value: T, problemOf: (value: T) => string | undefined): void {
  const problem = problemOf(value);
  if (problem !== undefined) throw new InvalidJobRequestError(field, value, problem);
}

function lengthProblem(value: string): string | undefined {
  return value.length >= 1 && value.length <= 1024 ? undefined : 'must be 1-1024 characters';
}

function describe(value: unknown): string {
  if (typeof value === 'string' && value.length > 64) {
    return `${JSON.stringify(value.slice(0, 64))}..., ${value.length} characters`;
  }
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
