import { classifyDetectError, summaryCode } from '../../../../lambda/per-image/batch/detect-errors';

function serviceError(name: string, message = `${name} happened`, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: 400 }, ...extra });
}

describe('classifyDetectError', () => {
  test.each([
    ['InvalidImageFormatException', 'refused', 'INVALID_IMAGE_FORMAT'],
    ['ImageTooLargeException', 'refused', 'IMAGE_TOO_LARGE'],
    ['InvalidS3ObjectException', 'refused', 'INVALID_S3_OBJECT'],
    ['AccessDeniedException', 'refused', 'ACCESS_DENIED'],
    ['InvalidParameterException', 'refused', 'INVALID_PARAMETER'],
    ['ResourceNotFoundException', 'refused', 'RESOURCE_NOT_FOUND'],
    ['ThrottlingException', 'throttled', 'THROTTLED'],
    ['ProvisionedThroughputExceededException', 'throttled', 'THROTTLED'],
    ['InternalServerError', 'transient', 'INTERNAL_ERROR'],
    ['ResourceNotReadyException', 'transient', 'RESOURCE_NOT_READY'],
  ])('%s is %s with code %s', (name, kind, code) => {
    expect(classifyDetectError(serviceError(name))).toEqual({ kind, code, message: `${name} happened` });
  });

  test('network errors are transient and keep their system code', () => {
    const error = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(classifyDetectError(error)).toEqual({ kind: 'transient', code: 'ECONNRESET', message: 'socket hang up' });
  });

  test('an unknown 5xx is transient; an unknown 4xx is unexpected', () => {
    expect(classifyDetectError(serviceError('SomethingNew', 'x', { $fault: 'server', $metadata: { httpStatusCode: 502 } })).kind).toBe('transient');
    expect(classifyDetectError(serviceError('SomethingNew')).kind).toBe('unexpected');
  });

  test('the SDK\'s throttling marker counts as throttled', () => {
    expect(classifyDetectError(serviceError('SlowDownPlease', 'x', { $retryable: { throttling: true } })).kind).toBe('throttled');
  });
});

describe('summaryCode', () => {
  test('writes exception names as UPPER_SNAKE codes without "Exception"', () => {
    expect(summaryCode('HumanLoopQuotaExceededException')).toBe('HUMAN_LOOP_QUOTA_EXCEEDED');
    expect(summaryCode('InvalidS3ObjectException')).toBe('INVALID_S3_OBJECT');
    expect(summaryCode('ETIMEDOUT')).toBe('ETIMEDOUT');
  });
});
