import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { type ActionsStep, readActionsSettings } from '../../lib/actions/actions-contract';
import type { TrackingWorkflowState } from '../../lib/tracking/tracking-contract';
import { logger } from '../common/log';
import { applyActions } from './apply-actions';

// One client each per container. More SDK attempts than the default 3 absorb S3 SlowDown and
// EventBridge throttling inside the invocation; what persists is thrown for the workflow's Retry.
// Test-only: S3_FORCE_PATH_STYLE=true lets a local S3 server stand in for S3.
const s3 = new S3Client({ maxAttempts: 8, forcePathStyle: process.env.S3_FORCE_PATH_STYLE === 'true' });
const events = new EventBridgeClient({ maxAttempts: 8 });

export async function handler(state: TrackingWorkflowState, context?: Context): Promise<ActionsStep> {
  logger.startInvocation(context);
  const settings = readActionsSettings(process.env);
  logger.appendPersistentKeys({ pipeline: settings.pipelineId ?? null });
  const ids = { token: state.token, jobId: state.jobId ?? null };
  try {
    const step = await applyActions(state, {
      s3,
      events,
      settings,
      remainingMs: () => context?.getRemainingTimeInMillis() ?? Number.MAX_SAFE_INTEGER,
    });
    logger.info('Moderation actions applied', { ...ids, complete: step.actionsComplete, ...step.detail?.actions });
    return step;
  } catch (error) {
    const { name, message } = error as Error;
    logger.error('Moderation actions failed', { ...ids, error: name, errorMessage: message });
    throw error;
  }
}
