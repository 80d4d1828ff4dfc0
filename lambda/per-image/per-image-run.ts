import { errorCode } from '../common/errors';

import { lazySfn, type LazySfn } from '../common/lazy-clients';

import type { TrackingInput } from '../../lib/tracking/tracking-contract';
import { type S3Location } from '../../lib/common/contract/s3-location';


/**
 * Starting a run of the per-image workflow, shared by the pipeline's trigger and the ModerationJob
 * custom resource: the same input shape, the same execution name, the same fallback rule.
 */

/** What a per-image run is about: everything its execution input is built from. */
export interface PerImageRunParts {
  /** ClientRequestToken (64 hex); also the execution name. */
  readonly token: string;
  readonly manifest: S3Location;
  readonly jobName: string;
  readonly outputBucket: string;
  /** The manifest's own folder (deriveOutputPrefix). */
  readonly outputPrefix: string;
  readonly minConfidence?: number;
}

export type PerImageStart = 'started' | 'already-started';

/** A started (or found) execution. */
export interface PerImageExecution {
  readonly start: PerImageStart;
  /** The execution's ARN: from StartExecution, or, when it already existed, derived from the state machine and the name. */
  readonly executionArn: string;
}

/**
 * The per-image execution's input: a TrackingInput with engine 'per-image' (and, when 'auto' fell
 * back, why). Its fields and their order depend only on the parts and the reason, so a duplicate
 * start sends byte-identical input.
 */
export function perImageTrackingInput(parts: PerImageRunParts, fallbackReason?: string): TrackingInput {
  const { manifest } = parts;
  return {
    token: parts.token,
    engine: 'per-image',
    ...(fallbackReason !== undefined && { fallbackReason }),
    manifest: { bucket: manifest.bucket, key: manifest.key, ...(manifest.version !== undefined && { version: manifest.version }) },
    jobName: parts.jobName,
    output: { bucket: parts.outputBucket, prefix: parts.outputPrefix },
    ...(parts.minConfidence !== undefined && { minConfidence: parts.minConfidence }),
  };
}

/**
 * Starts the per-image execution named after the input's token. A Standard workflow answers a
 * repeated StartExecution with the same name and input as the first one while that execution runs,
 * and ExecutionAlreadyExists once it has ended (or for other input): both mean the run exists, and
 * nothing is started twice. Other errors are thrown for the caller to classify.
 */
export async function startPerImageExecution(input: TrackingInput, stateMachineArn: string, sfn?: LazySfn): Promise<PerImageExecution> {
  const { sdk, client } = sfn ?? await lazySfn();
  try {
    const response = await client.send(new sdk.StartExecutionCommand({ stateMachineArn, name: input.token, input: JSON.stringify(input) }));
    return { start: 'started', executionArn: response.executionArn ?? executionArnOf(stateMachineArn, input.token) };
  } catch (error) {
    if (errorCode(error) === 'ExecutionAlreadyExists') {
      return { start: 'already-started', executionArn: executionArnOf(stateMachineArn, input.token) };
    }
    throw error;
  }
}

const STATE_MACHINE_ARN = /^(arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}):stateMachine:([A-Za-z0-9_-]+)$/;
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$/;

/** Whether the value is a Standard execution ARN (`arn:aws:states:<region>:<account>:execution:<machine>:<name>`). */
export function isExecutionArn(value: string): boolean {
  return EXECUTION_ARN.test(value);
}

/** The ARN of the Standard execution `name` of the state machine. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  const match = STATE_MACHINE_ARN.exec(stateMachineArn);
  if (!match) {
    throw new Error(`Not a state machine ARN: ${JSON.stringify(stateMachineArn)}`);
  }
  return `${match[1]}:execution:${match[2]}:${name}`;
}

/**
 * Whether StartMediaAnalysisJob's error means that the account may not use bulk analysis, so
 * that engine 'auto' runs the manifest per image instead.
 *
 * The signal is AccessDeniedException. Uncertain: AWS documents that bulk analysis is closed to
 * new customers since 2026-04-30 but not the error such an account gets; AccessDeniedException is
 * what Rekognition answers for an operation the caller may not use. It is also what a missing
 * rekognition:StartMediaAnalysisJob permission (an IAM policy, an SCP or a permissions boundary)
 * gives, and the message does not reliably tell the two apart, so both fall back: the per-image
 * engine needs neither, and the completion event's fallbackReason carries the original message,
 * so an IAM problem stays visible. Every other error (throttling, limits, invalid manifests...)
 * is handled as for engine 'bulk'.
 */
export function isBulkAnalysisRefused(error: unknown): boolean {
  return errorCode(error) === 'AccessDeniedException';
}

/** The completion event's fallbackReason for a refusal: the error's name and message, bounded. */
export function fallbackReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const text = `StartMediaAnalysisJob was refused (${errorCode(error)}${message ? `: ${message}` : ''}); the manifest ran per image`;
  return text.length <= 1024 ? text : `${text.slice(0, 1023)}…`;
}
