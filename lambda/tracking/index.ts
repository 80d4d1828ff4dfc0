import { RekognitionClient } from '@aws-sdk/client-rekognition';
import { TrackerEnvironment } from '../../lib/tracking/tracking-contract';
import { log } from '../common/log';
import type { TrackingInput, TrackingStep } from './tracking-types';
import { trackJob } from './track-job';

// One client per container. Its standard retries absorb brief throttling; what persists is
// thrown with the service's error name for the workflow's Retry.
const rekognition = new RekognitionClient({});

export async function handler(input: TrackingInput): Promise<TrackingStep> {
  // `pipeline` is a dimension of the JobsFailed metric the pipeline's metric filter reads from these lines.
  const ids = { pipeline: process.env[TrackerEnvironment.PIPELINE_ID] || null, jobId: input.jobId ?? null, token: input.token };
  try {
    const step = await trackJob(input, rekognition);
    log('INFO', 'Job tracked', {
      ...ids,
      status: step.status,
      done: step.done,
      ...(step.detail?.moderation && {
        imagesAnalyzed: step.detail.moderation.imagesAnalyzed,
        imagesFlagged: step.detail.moderation.imagesFlagged,
      }),
    });
    return step;
  } catch (error) {
    const { name, message } = error as Error;
    log('ERROR', 'Job tracking failed', { ...ids, error: name, errorMessage: message });
    throw error;
  }
}
