import type { TrackingInput } from '../../lib/tracking/tracking-contract';
import { type S3Location } from '../../lib/common/contract/s3-location';
import { errorCode } from './errors';
import { lazySfn, type LazySfn } from './lazy-clients';

/**
 * The one execution per manifest that reports it (the tracking workflow for a bulk job, the
 * per-image workflow for a run), shared by the pipeline's trigger and the ModerationJob custom
 * resource: the same input shape, the same execution name, so neither starts anything twice.
 */

/** What a manifest's execution is about: everything its input is built from. */
export interface ManifestRunParts {
  /** ClientRequestToken (64 hex); also the execution name. */
  readonly token: string;
  readonly manifest: S3Location;
  readonly jobName: string;
  readonly outputBucket: string;
  /** The manifest's own folder (deriveOutputPrefix). */
  readonly outputPrefix: string;
  readonly minConfidence?: number;
}

/** How the manifest is moderated, and what the start of its job gave. */
export type RunOutcome =
  | { readonly engine: 'bulk'; readonly jobId?: string; readonly startFailure?: TrackingInput['startFailure'] }
  | { readonly engine: 'per-image'; readonly fallbackReason?: string };

/**
 * The execution input. Its fields and their order depend only on the parts and the outcome, so a
 * duplicate start sends byte-identical input: Step Functions then treats the second StartExecution
 * as the same request.
 */
export function manifestRunInput(parts: ManifestRunParts, outcome: RunOutcome): TrackingInput {
  const { manifest } = parts;
  return {
    token: parts.token,
    engine: outcome.engine,
    ...(outcome.engine === 'per-image' && outcome.fallbackReason !== undefined && { fallbackReason: outcome.fallbackReason }),
    manifest: { bucket: manifest.bucket, key: manifest.key, ...(manifest.version !== undefined && { version: manifest.version }) },
    jobName: parts.jobName,
    ...(outcome.engine === 'bulk' && outcome.jobId !== undefined && { jobId: outcome.jobId }),
    output: { bucket: parts.outputBucket, prefix: parts.outputPrefix },
    ...(parts.minConfidence !== undefined && { minConfidence: parts.minConfidence }),
    ...(outcome.engine === 'bulk' && outcome.startFailure !== undefined && { startFailure: outcome.startFailure }),
  };
}

export type ExecutionStart = 'started' | 'already-started';

/** A started (or found) execution. */
export interface ManifestExecution {
  readonly start: ExecutionStart;
  /** The execution's ARN: from StartExecution, or, when it already existed, derived from the state machine and the name. */
  readonly executionArn: string;
}

/**
 * Starts the execution named after the input's token. A Standard workflow answers a repeated
 * StartExecution with the same name and input as the first one while that execution runs, and
 * ExecutionAlreadyExists once it has ended (or for other input): both mean the manifest's
 * execution exists, and nothing is started twice. Other errors are thrown for the caller to classify.
 */
export async function startManifestExecution(input: TrackingInput, stateMachineArn: string, sfn?: LazySfn): Promise<ManifestExecution> {
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
