import { DetectModerationLabelsCommand, RekognitionClient } from '@aws-sdk/client-rekognition';
import type { ImageItem, ModerationResult } from '../../../lib/per-image/per-image-workflow-contract';
import type { BatchSettings } from '../../../lib/per-image/per-image-contract';

/**
 * A client that never retries by itself: every retry goes through the batch's pacer and backoff,
 * so retries count against the rate like first attempts.
 */
export function createDetectClient(): RekognitionClient {
  return new RekognitionClient({ maxAttempts: 1, requestHandler: { connectionTimeout: 5_000, requestTimeout: 20_000 } });
}

/** DetectModerationLabels on the image in S3, answered in the shape of bulk analysis's output lines. */
export function detector(client: RekognitionClient, config: BatchSettings): (item: ImageItem) => Promise<ModerationResult> {
  return async (item) => {
    const response = await client.send(new DetectModerationLabelsCommand({
      Image: { S3Object: { Bucket: item.bucket, Name: item.key } },
      ...(config.minConfidence !== undefined && { MinConfidence: config.minConfidence }),
      ...(config.projectVersion !== undefined && { ProjectVersion: config.projectVersion }),
    }));
    return {
      ModerationLabels: response.ModerationLabels ?? [],
      ...(response.ModerationModelVersion !== undefined && { ModerationModelVersion: response.ModerationModelVersion }),
      ContentTypes: response.ContentTypes ?? [],
    };
  };
}
