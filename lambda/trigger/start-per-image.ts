import { errorCode } from '../shared/errors';
import { lazySfn, type LazySfn } from '../shared/lazy-clients';
import type { TrackingInput } from '../shared/tracking-types';
import type { TriggerConfig } from './config';
import type { JobIdentity } from './outcome';
import { trackingInput } from './start-tracking';

export type PerImageStart = 'started' | 'already-started';

/**
 * The per-image execution's input: the tracking input of the manifest with engine 'per-image'
 * (and, when 'auto' fell back, why). Like the tracking input, it depends only on the manifest,
 * the configuration and the reason, so a duplicate delivery sends byte-identical input.
 */
export function perImageInput(job: JobIdentity, config: TriggerConfig, fallbackReason?: string): TrackingInput {
  const { token, engine: _bulk, ...rest } = trackingInput(job, config, {});
  return {
    token,
    engine: 'per-image',
    ...(fallbackReason !== undefined && { fallbackReason }),
    ...rest,
  };
}

/**
 * Starts the manifest's per-image execution, named after its token: a duplicate S3 event finds
 * it started (ExecutionAlreadyExists, or the same name and input answered as the first call) and
 * starts nothing; a new version of the manifest has a new token and gets its own run. Other
 * errors are thrown for the caller to classify (throttling and service errors defer the message).
 */
export async function startPerImage(input: TrackingInput, stateMachineArn: string, sfn?: LazySfn): Promise<PerImageStart> {
  const { sdk, client } = sfn ?? await lazySfn();
  try {
    await client.send(new sdk.StartExecutionCommand({ stateMachineArn, name: input.token, input: JSON.stringify(input) }));
    return 'started';
  } catch (error) {
    if (errorCode(error) === 'ExecutionAlreadyExists') return 'already-started';
    throw error;
  }
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
