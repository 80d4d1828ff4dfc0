import { RekognitionClient, RekognitionClientConfig } from '@aws-sdk/client-rekognition';
import { classifyError } from '../common/errors';

type RetryStrategy = Extract<NonNullable<RekognitionClientConfig['retryStrategy']>, { acquireInitialRetryToken: unknown }>;
type RetryToken = Awaited<ReturnType<RetryStrategy['acquireInitialRetryToken']>>;

const MAX_ATTEMPTS = 3;
const RETRYABLE_TYPES = new Set(['TRANSIENT', 'THROTTLING', 'SERVER_ERROR']);

/**
 * The SDK's standard retries, minus LimitExceededException: the SDK counts it as throttling, but a
 * concurrent-job slot can take an hour to free, so retrying within the invocation only burns
 * request quota and time. The handler defers such messages through SQS instead.
 */
export const capacityAwareRetryStrategy: RetryStrategy = {
  async acquireInitialRetryToken() {
    return retryToken(0, 0);
  },
  async refreshRetryTokenForRetry(previous, info) {
    const retryCount = previous.getRetryCount() + 1;
    if (retryCount >= MAX_ATTEMPTS || !RETRYABLE_TYPES.has(info.errorType) || classifyError(info.error) === 'capacity') {
      throw info.error ?? new Error(`${info.errorType} error is not retried`);
    }
    const step = (info.errorType === 'THROTTLING' ? 500 : 100) * 2 ** (retryCount - 1);
    return retryToken(retryCount, step / 2 + (Math.random() * step) / 2);
  },
  recordSuccess() {},
};

export function createRekognitionClient(): RekognitionClient {
  return new RekognitionClient({ retryStrategy: capacityAwareRetryStrategy, maxAttempts: MAX_ATTEMPTS });
}

function retryToken(retryCount: number, delayMs: number): RetryToken {
  return { getRetryCount: () => retryCount, getRetryDelay: () => delayMs };
}
