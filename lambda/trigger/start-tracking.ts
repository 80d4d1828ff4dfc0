import { errorCode } from '../common/errors';
import { lazySfn } from '../common/lazy-clients';
import type { TrackingInput } from '../../lib/tracking/tracking-contract';
import type { TriggerConfig } from './config';
import type { JobIdentity } from './outcome';

export type TrackingStart = 'started' | 'already-tracked' | 'not-configured';

/**
 * The execution input of one manifest. Its fields and their order depend only on the manifest
 * and the configuration, so a duplicate delivery sends byte-identical input: Step Functions then
 * treats the second StartExecution as the same request.
 */
export function trackingInput(job: JobIdentity, config: TriggerConfig, outcome: { jobId?: string; startFailure?: TrackingInput['startFailure'] }): TrackingInput {
  const { manifest } = job;
  return {
    token: job.token,
    engine: 'bulk',
    manifest: { bucket: manifest.bucket, key: manifest.key, ...(manifest.version !== undefined && { version: manifest.version }) },
    jobName: job.jobName,
    ...(outcome.jobId !== undefined && { jobId: outcome.jobId }),
    output: { bucket: config.settings.outputBucket, prefix: job.outputPrefix },
    ...(config.settings.minConfidence !== undefined && { minConfidence: config.settings.minConfidence }),
    ...(outcome.startFailure !== undefined && { startFailure: outcome.startFailure }),
  };
}

/**
 * Starts the manifest's tracking execution, named after its token: one execution per manifest
 * however often the event arrives. An execution that already exists means it is tracked already.
 */
export async function startTracking(input: TrackingInput, config: TriggerConfig): Promise<TrackingStart> {
  if (config.trackingStateMachineArn === undefined) return 'not-configured';
  const { sdk, client } = await lazySfn();
  try {
    await client.send(new sdk.StartExecutionCommand({
      stateMachineArn: config.trackingStateMachineArn,
      name: input.token,
      input: JSON.stringify(input),
    }));
    return 'started';
  } catch (error) {
    if (errorCode(error) === 'ExecutionAlreadyExists') return 'already-tracked';
    throw error;
  }
}
