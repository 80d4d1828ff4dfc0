import type { LazySfn } from '../common/lazy-clients';
import { perImageTrackingInput, startPerImageExecution, type PerImageStart } from '../per-image/per-image-run';
import type { TrackingInput } from '../../lib/tracking/tracking-contract';
import type { TriggerConfig } from './config';
import type { JobIdentity } from './outcome';

// Shared with the ModerationJob custom resource (lambda/per-image/per-image-run.ts).
export { fallbackReason, isBulkAnalysisRefused, type PerImageStart } from '../per-image/per-image-run';

/**
 * The per-image execution's input: the tracking input of the manifest with engine 'per-image'
 * (and, when 'auto' fell back, why). Like the tracking input, it depends only on the manifest,
 * the configuration and the reason, so a duplicate delivery sends byte-identical input.
 */
export function perImageInput(job: JobIdentity, config: TriggerConfig, fallbackReason?: string): TrackingInput {
  return perImageTrackingInput({
    token: job.token,
    manifest: job.manifest,
    jobName: job.jobName,
    outputBucket: config.settings.outputBucket,
    outputPrefix: job.outputPrefix,
    minConfidence: config.settings.minConfidence,
  }, fallbackReason);
}

/**
 * Starts the manifest's per-image execution, named after its token: a duplicate S3 event finds
 * it started (ExecutionAlreadyExists, or the same name and input answered as the first call) and
 * starts nothing; a new version of the manifest has a new token and gets its own run. Other
 * errors are thrown for the caller to classify (throttling and service errors defer the message).
 */
export async function startPerImage(input: TrackingInput, stateMachineArn: string, sfn?: LazySfn): Promise<PerImageStart> {
  return (await startPerImageExecution(input, stateMachineArn, sfn)).start;
}
