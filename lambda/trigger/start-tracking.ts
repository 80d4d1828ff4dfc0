import { manifestRunInput, startManifestExecution } from '../common/tracking-execution';
import type { TrackingInput } from '../../lib/tracking/tracking-contract';
import type { TriggerConfig } from './config';
import type { JobIdentity } from './outcome';

export type TrackingStart = 'started' | 'already-tracked' | 'not-configured';

/** The execution input of one manifest's bulk job (or of its failed start). */
export function trackingInput(job: JobIdentity, config: TriggerConfig, outcome: { jobId?: string; startFailure?: TrackingInput['startFailure'] }): TrackingInput {
  return manifestRunInput({
    token: job.token,
    manifest: job.manifest,
    jobName: job.jobName,
    outputBucket: config.settings.outputBucket,
    outputPrefix: job.outputPrefix,
    minConfidence: config.settings.minConfidence,
  }, { engine: 'bulk', ...outcome });
}

/**
 * Starts the manifest's tracking execution, named after its token: one execution per manifest
 * however often the event arrives. An execution that already exists means it is tracked already.
 */
export async function startTracking(input: TrackingInput, config: TriggerConfig): Promise<TrackingStart> {
  if (config.trackingStateMachineArn === undefined) return 'not-configured';
  const { start } = await startManifestExecution(input, config.trackingStateMachineArn);
  return start === 'started' ? 'started' : 'already-tracked';
}
