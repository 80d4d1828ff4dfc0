import { errorCode } from '../common/errors';
import { manifestRunInput, type ManifestRunParts } from '../common/tracking-execution';
import type { TrackingInput } from '../../lib/tracking/tracking-contract';

/**
 * Starting a run of the per-image workflow, shared by the pipeline's trigger and the ModerationJob
 * custom resource: the same input shape, the same execution name (lambda/common/tracking-execution.ts),
 * the same fallback rule.
 */

export {
  isExecutionArn,
  startManifestExecution as startPerImageExecution,
  type ExecutionStart as PerImageStart,
} from '../common/tracking-execution';

/**
 * The per-image execution's input: a TrackingInput with engine 'per-image' (and, when 'auto' fell
 * back, why).
 */
export function perImageTrackingInput(parts: ManifestRunParts, fallbackReason?: string): TrackingInput {
  return manifestRunInput(parts, { engine: 'per-image', fallbackReason });
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
