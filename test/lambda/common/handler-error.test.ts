import { HandlerErrorName, WORKFLOW_RETRYABLE_ERRORS } from '../../../lib/common/contract/error-names';
import { classifyError, HandlerError, isRetryable } from '../../../lambda/common/errors';

describe('HandlerError', () => {
  test('carries the stable name it is given, whatever the class is called after minification', () => {
    class Renamed extends HandlerError {}
    const error = new Renamed(HandlerErrorName.MANIFEST_NOT_FOUND, 'gone');
    expect([error.name, error.message, error instanceof Error]).toEqual(['ManifestNotFound', 'gone', true]);
  });

  test.each(Object.values(HandlerErrorName))('%s is classified as permanent or retryable, never unexpected', (name) => {
    expect(classifyError(new HandlerError(name, 'x'))).not.toBe('unexpected');
  });

  test('a cut-off read is retryable, a configuration error is not', () => {
    expect(isRetryable(new HandlerError(HandlerErrorName.READ_INTERRUPTED, 'socket hang up'))).toBe(true);
    expect(isRetryable(new HandlerError(HandlerErrorName.CONFIG, 'bad'))).toBe(false);
  });
});

describe('isRetryable agrees with the workflows\' Retry lists', () => {
  test.each(WORKFLOW_RETRYABLE_ERRORS.filter((name) => !name.startsWith('Lambda.')))('%s, retried by the workflows, is retryable in handlers', (name) => {
    expect(isRetryable(Object.assign(new Error('x'), { name }))).toBe(true);
  });

  test('a programming error is neither retried nor in the lists', () => {
    const bug = new TypeError('undefined is not a function');
    expect(isRetryable(bug)).toBe(false);
    expect(WORKFLOW_RETRYABLE_ERRORS).not.toContain('TypeError');
    expect(WORKFLOW_RETRYABLE_ERRORS).not.toContain('Error');
  });

  test('capacity and throttling are retryable', () => {
    expect(isRetryable(Object.assign(new Error('x'), { name: 'LimitExceededException' }))).toBe(true);
    expect(isRetryable(Object.assign(new Error('x'), { name: 'SlowDown' }))).toBe(true);
  });
});
