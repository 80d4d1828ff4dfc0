import { ConfigError } from '../../lib/common/contract/environment';
import { TriggerEngineEnvironment } from '../../lib/trigger/trigger-contract';
import { log } from '../common/log';
import type { TriggerConfig } from './config';
import { deferOrFail } from './defer-or-fail';
import type { JobIdentity, ManifestOutcome } from './outcome';
import { perImageInput, startPerImage } from './start-per-image';

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
  try {
    const run = await startPerImage(perImageInput(job, config, fallbackReason), config.perImageStateMachineArn);
    log('INFO', 'per-image run started', { ...fields, outcome: 'started', engine: 'per-image', run, ...(fallbackReason !== undefined && { fallbackReason }) });
    return { outcome: 'started', job: { ...job, engine: 'per-image' } };
  } catch (error) {
    return deferOrFail(job, error, 'per-image run not started', fields, attempt);
  }
}
