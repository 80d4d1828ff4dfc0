import { ConfigError } from '../../lib/common/contract/environment';
import { TriggerEngineEnvironment } from '../../lib/trigger/trigger-contract';
import { log } from '../common/log';
import type { TriggerConfig } from './config';
import { deferOrFail } from './defer-or-fail';
import type { JobIdentity, ManifestOutcome } from './outcome';
import { perImageInput, startPerImage } from './start-per-image';
import { perImageRunsFull } from './backlog/per-image-runs';
import { retryDelaySeconds } from '../common/errors';

/** The deferral's code when a manifest waits for the per-image run before it. */
const PER_IMAGE_RUN_IN_PROGRESS = 'PerImageRunInProgress';

/**
 * Hands the manifest to the per-image workflow (engine 'per-image', or 'auto' after bulk analysis
 * was refused). That workflow reports the completion event itself, so no tracking execution is
 * started for it.
 */
export async function runPerImage(
  job: JobIdentity,
  config: TriggerConfig,
  fields: Record<string, unknown>,
  attempt: number,
  fallbackReason?: string,
): Promise<ManifestOutcome> {
  if (config.perImageStateMachineArn === undefined) {
    return deferOrFail(job, new ConfigError(TriggerEngineEnvironment.PER_IMAGE_STATE_MACHINE_ARN, 'is not set'), 'per-image run not started', fields, attempt);
  }
  if (config.backlogQueueUrl !== undefined && await perImageRunsFull(config.perImageStateMachineArn)) {
    log('INFO', 'job deferred: another manifest\'s per-image run has the rate', { ...fields, outcome: 'deferred', errorCode: PER_IMAGE_RUN_IN_PROGRESS });
    return { outcome: 'deferred', job, errorCode: PER_IMAGE_RUN_IN_PROGRESS, delaySeconds: retryDelaySeconds('capacity', attempt), shortCircuited: true, waitsForTurn: true };
  }
  try {
    const run = await startPerImage(perImageInput(job, config, fallbackReason), config.perImageStateMachineArn);
    log('INFO', 'per-image run started', { ...fields, outcome: 'started', engine: 'per-image', run, ...(fallbackReason !== undefined && { fallbackReason }) });
    return { outcome: 'started', job: { ...job, engine: 'per-image' } };
  } catch (error) {
    return deferOrFail(job, error, 'per-image run not started', fields, attempt);
  }
}
