import {
  AccessDeniedException,
  IdempotentParameterMismatchException,
  InternalServerError,
  InvalidParameterException,
  LimitExceededException,
  ProvisionedThroughputExceededException,
  RekognitionServiceException,
  ResourceNotReadyException,
  ThrottlingException,
} from '@aws-sdk/client-rekognition';
import { ConfigError } from '../../../lib/common/contract/environment';
import { HandlerErrorName } from '../../../lib/common/contract/error-names';
import { classifyError, ErrorClass, errorCode, HandlerError, retryDelaySeconds } from '../../../lambda/common/errors';
import { InvalidJobRequestError } from '../../../lambda/common/job-request';

const metadata = { $metadata: { httpStatusCode: 400, attempts: 1 } };

/** The errors the SDK or Node raise, built as they really arrive. */
function serviceError(name: string, status = 400): Error {
  return new RekognitionServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

function networkError(code: string): Error {
  // The SDK's retry layer adds $metadata to every error it gives up on.
  return Object.assign(new Error(`connect ${code}`), { code, $metadata: { attempts: 3 } });
}

describe('classifyError', () => {
  test.each<[string, unknown, ErrorClass]>([
    ['LimitExceededException (all job slots busy)', new LimitExceededException({ message: 'x', ...metadata }), 'capacity'],
    ['ThrottlingException', new ThrottlingException({ message: 'x', ...metadata }), 'throttled'],
    ['ProvisionedThroughputExceededException', new ProvisionedThroughputExceededException({ message: 'x', ...metadata }), 'throttled'],
    ['InternalServerError', new InternalServerError({ message: 'x', $metadata: { httpStatusCode: 500 } }), 'transient'],
    ['ResourceNotReadyException', new ResourceNotReadyException({ message: 'x', ...metadata }), 'transient'],
    ['a timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' }), 'transient'],
    ['ECONNRESET', networkError('ECONNRESET'), 'transient'],
    ['ETIMEDOUT', networkError('ETIMEDOUT'), 'transient'],
    ['an unmodelled 503', serviceError('ServiceUnavailable', 503), 'transient'],
    ['an unmodelled 502', serviceError('BadGateway', 502), 'transient'],
    ['an error the SDK marks retryable', Object.assign(serviceError('Odd'), { $retryable: {} }), 'transient'],
    ['an error the SDK marks as throttling', Object.assign(serviceError('Odd'), { $retryable: { throttling: true } }), 'throttled'],
    ['InvalidManifestException', serviceError('InvalidManifestException'), 'permanent'],
    ['InvalidS3ObjectException', serviceError('InvalidS3ObjectException'), 'permanent'],
    ['InvalidParameterException', new InvalidParameterException({ message: 'x', ...metadata }), 'permanent'],
    ['AccessDeniedException', new AccessDeniedException({ message: 'x', ...metadata }), 'permanent'],
    ['ResourceNotFoundException', serviceError('ResourceNotFoundException'), 'permanent'],
    ['IdempotentParameterMismatchException', new IdempotentParameterMismatchException({ message: 'x', ...metadata }), 'permanent'],
    ['an invalid request field', new InvalidJobRequestError('JobName', 'a b', 'must be valid'), 'permanent'],
    ['a function deployed with unusable settings', new ConfigError('OUTPUT_PREFIX', 'must not contain whitespace'), 'permanent'],
    ['a job that failed', new HandlerError(HandlerErrorName.MODERATION_JOB_FAILED, 'failed'), 'permanent'],
    ['an unknown service error', serviceError('SomethingNew'), 'unexpected'],
    ['a programming error', new TypeError('undefined is not a function'), 'unexpected'],
    ['a thrown string', 'boom', 'unexpected'],
    ['undefined', undefined, 'unexpected'],
  ])('classifies %s as %s', (_, error, expected) => {
    expect(classifyError(error)).toBe(expected);
  });
});

describe('errorCode', () => {
  test('is the exception name of a service error, not its Code member', () => {
    const error = new LimitExceededException({ message: 'x', ...metadata });
    Object.assign(error, { Code: 'SomethingElse' });

    expect(errorCode(error)).toBe('LimitExceededException');
  });

  test("is a Node system error's code", () => {
    expect(errorCode(networkError('ECONNRESET'))).toBe('ECONNRESET');
  });

  test("falls back to the error's name", () => {
    expect(errorCode(new RangeError('x'))).toBe('RangeError');
  });

  test('is UnknownError for a value that is not an error', () => {
    expect(errorCode('boom')).toBe('UnknownError');
    expect(errorCode(null)).toBe('UnknownError');
  });
});

describe('retryDelaySeconds', () => {
  const schedules: Array<[ErrorClass, number, number]> = [
    ['capacity', 300, 3600],
    ['throttled', 10, 900],
    ['transient', 30, 900],
  ];

  describe.each(schedules)('%s (base %p s, cap %p s)', (errorClass, base, cap) => {
    test.each([1, 2, 3, 4, 5, 6, 8, 12, 30, 100])('attempt %p waits between half the step and the step', (attempt) => {
      const step = Math.min(cap, base * 2 ** (attempt - 1));

      expect(retryDelaySeconds(errorClass, attempt, () => 0)).toBe(step / 2);
      expect(retryDelaySeconds(errorClass, attempt, () => 0.999999)).toBe(step - 1);
      const random = retryDelaySeconds(errorClass, attempt);
      expect(random).toBeGreaterThanOrEqual(step / 2);
      expect(random).toBeLessThan(step);
    });

    test('grows with the attempt until it reaches the cap, and never passes it', () => {
      const delays = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1000].map((attempt) => retryDelaySeconds(errorClass, attempt, () => 0.5));

      delays.slice(1).forEach((delay, index) => expect(delay).toBeGreaterThanOrEqual(delays[index]));
      expect(delays[delays.length - 1]).toBe(Math.floor(cap * 0.75));
      expect(Math.max(...delays)).toBeLessThan(cap);
    });
  });

  test('stays within the 12-hour visibility limit of SQS whatever the attempt', () => {
    for (const [errorClass] of schedules) {
      expect(retryDelaySeconds(errorClass, Number.MAX_SAFE_INTEGER, () => 0.999999)).toBeLessThanOrEqual(43_200);
    }
  });

  test.each([0, -3, Number.NaN])('treats attempt %p as the first', (attempt) => {
    expect(retryDelaySeconds('capacity', attempt, () => 0)).toBe(150);
  });

  test.each<ErrorClass>(['permanent', 'unexpected'])('is 0 for %s errors, which are not retried on a schedule', (errorClass) => {
    expect(retryDelaySeconds(errorClass, 3)).toBe(0);
  });
});
