import { RekognitionClient } from '@aws-sdk/client-rekognition';
import type { Context } from 'aws-lambda';
import { JOB_TRACKED_LOG, readTrackerSettings, type TrackingInput, type TrackingStep } from '../../lib/tracking/tracking-contract';
import { logger } from '../common/log';
import { trackJob } from './track-job';

// One client per container. Its standard retries absorb brief throttling; what persists is
// thrown with the service's error name for the workflow's Retry.
const rekognition = new RekognitionClient({});

const { DONE, PIPELINE, STATUS } = JOB_TRACKED_LOG.FIELDS;

export async function handler(input: TrackingInput, context?: Context): Promise<TrackingStep> {
  logger.startInvocation(context);
  const settings = readTrackerSettings(process.env);
  // `pipeline` is the Pipeline dimension of the JobsFailed metric read from the 'Job tracked' lines.
  logger.appendPersistentKeys({ [PIPELINE]: settings.pipelineId ?? null });
  const ids = { jobId: input.jobId ?? null, token: input.token };
  try {
    const step = await trackJob(input, rekognition, settings);
    logger.info(JOB_TRACKED_LOG.MESSAGE, {
      ...ids,
      [STATUS]: step.status,
      [DONE]: step.done,
      ...(step.detail?.moderation && {
        imagesAnalyzed: step.detail.moderation.imagesAnalyzed,
        imagesFlagged: step.detail.moderation.imagesFlagged,
      }),
      ...(step.detail?.failure && { failureStage: step.detail.failure.stage, failureCode: step.detail.failure.code }),
    });
    return step;
  } catch (error) {
    const { name, message } = error as Error;
    logger.error('Job tracking failed', { ...ids, error: name, errorMessage: message });
    throw error;
  }
}
