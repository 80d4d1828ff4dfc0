import { RekognitionClient } from '@aws-sdk/client-rekognition';
import type { Context } from 'aws-lambda';
import { readModerationJobEnvironment } from '../../lib/job/moderation-job-contract';
import { lazySfn } from '../common/lazy-clients';
import { logger, type InvocationContext } from '../common/log';
import { handleIsComplete } from './is-complete';
import { handleOnEvent } from './on-event';
import { sleep } from './runtime';
import type { IsCompleteRequest, IsCompleteResponse, OnEventRequest, OnEventResponse } from './types';

/**
 * Handlers of the ModerationJob custom resource for the custom-resources provider framework:
 * ON_EVENT_HANDLER and IS_COMPLETE_HANDLER of lib/job/moderation-job-contract.ts. One Rekognition client per container, and a Step
 * Functions client loaded only for per-image runs and tracking; Region and credentials come from the Lambda
 * environment.
 */
const rekognition = new RekognitionClient({});
const { trackingStateMachineArn } = readModerationJobEnvironment(process.env);
logger.appendPersistentKeys({ stage: 'job' });

export function onEvent(event: OnEventRequest, context?: Pick<Context, 'getRemainingTimeInMillis'> & InvocationContext): Promise<OnEventResponse> {
  logger.startInvocation(context);
  return handleOnEvent(event, {
    rekognition,
    sfn: lazySfn,
    trackingStateMachineArn,
    sleep,
    now: Date.now,
    random: Math.random,
    remainingTimeMs: context ? () => context.getRemainingTimeInMillis() : undefined,
  });
}

export function isComplete(event: IsCompleteRequest, context?: InvocationContext): Promise<IsCompleteResponse> {
  logger.startInvocation(context);
  return handleIsComplete(event, { rekognition, sfn: lazySfn });
}
