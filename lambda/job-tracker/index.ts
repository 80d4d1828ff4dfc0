import { RekognitionClient } from '@aws-sdk/client-rekognition';
import { log } from '../shared/log';
import type { TrackingInput, TrackingStep } from '../shared/tracking-types';
import { trackJob } from './track-job';

// One client per container. Its standard retries absorb brief throttling; what persists is
// thrown with the service's error name for the workflow's Retry.
const rekognition = new RekognitionClient({});

export async function handler(input: TrackingInput): Promise<TrackingStep> {
  const ids = { jobId: input.jobId ?? null, token: input.token };
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
