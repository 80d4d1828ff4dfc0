import { HandlerErrorName } from '../../lib/common/contract/error-names';
import { errorCode, HandlerError } from '../common/errors';
import { log } from '../common/log';
import { isExecutionArn } from '../per-image/per-image-run';
import { jobData, planJob } from './job-plan';
import { canonicalProperties, parseProperties } from './properties';
import type { HandlerRuntime } from './runtime';
import { startRun } from './start-run';
import type { OnEventRequest, OnEventResponse } from './types';

/**
 * Create starts a job (or a per-image run, see startRun); Update starts a new one (new physical
 * id, so CloudFormation then deletes the old one) only when a property changed; Delete calls
 * nothing: there is no API to stop or delete a bulk job, a per-image run is left to finish, and
 * the results stay in place.
 */
export async function handleOnEvent(event: OnEventRequest, runtime: HandlerRuntime): Promise<OnEventResponse> {
  // Only these fields are logged: the event also carries the presigned ResponseURL.
  const context = {
    RequestType: event.RequestType,
    LogicalResourceId: event.LogicalResourceId,
    RequestId: event.RequestId,
    PhysicalResourceId: event.PhysicalResourceId,
  };
  log('INFO', 'ModerationJob event received', context);
  try {
    const response = await dispatch(event, runtime);
    const outcome = event.RequestType === 'Delete' ? 'deleted'
      : response.PhysicalResourceId === event.PhysicalResourceId ? 'unchanged' : 'started';
    log('INFO', 'ModerationJob event handled', {
      ...context,
      outcome,
      JobId: response.PhysicalResourceId,
      JobName: response.Data?.JobName,
      ClientRequestToken: response.Data?.ClientRequestToken,
    });
    return response;
  } catch (error) {
    log('ERROR', 'ModerationJob event failed', {
      ...context,
      outcome: 'failed',
      errorCode: errorCode(error),
      error: error instanceof Error ? error.message : String(error),
    });
    throw error;
  }
}

async function dispatch(event: OnEventRequest, runtime: HandlerRuntime): Promise<OnEventResponse> {
  switch (event.RequestType) {
    case 'Create':
      return start(event, runtime);
    case 'Update': {
      if (canonicalProperties(event.OldResourceProperties) !== canonicalProperties(event.ResourceProperties)) {
        return start(event, runtime);
      }
      // Nothing changed: same job, same attributes (all derived deterministically).
      const jobId = event.PhysicalResourceId;
      if (typeof jobId !== 'string' || jobId === '') {
        throw new HandlerError(HandlerErrorName.INVALID_INPUT, `ModerationJob ${event.LogicalResourceId}: Update request without a PhysicalResourceId`);
      }
      const plan = planJob(event, parseProperties(event.ResourceProperties));
      return { PhysicalResourceId: jobId, Data: jobData(jobId, plan, isExecutionArn(jobId) ? 'per-image' : undefined) };
    }
    case 'Delete':
      // Whatever the physical id is (a JobId, or a marker left by a failed Create), the
      // response must echo it; the properties are not even parsed, so nothing can fail here.
      return { PhysicalResourceId: event.PhysicalResourceId ?? '' };
    default:
      throw new HandlerError(HandlerErrorName.INVALID_INPUT, `ModerationJob ${event.LogicalResourceId}: unknown RequestType ${JSON.stringify((event as { RequestType?: unknown }).RequestType)}`);
  }
}

async function start(event: OnEventRequest, runtime: HandlerRuntime): Promise<OnEventResponse> {
  const props = parseProperties(event.ResourceProperties);
  return startRun(event.LogicalResourceId, planJob(event, props), props, runtime);
}
