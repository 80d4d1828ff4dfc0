import { queueUrlFromArn } from '../../../lambda/trigger/queue-url';

describe('queueUrlFromArn', () => {
  test.each([
    ['arn:aws:sqs:us-east-1:111122223333:manifest-events', 'https://sqs.us-east-1.amazonaws.com/111122223333/manifest-events'],
    ['arn:aws:sqs:eu-west-3:111122223333:events.fifo', 'https://sqs.eu-west-3.amazonaws.com/111122223333/events.fifo'],
    ['arn:aws-cn:sqs:cn-north-1:111122223333:q', 'https://sqs.cn-north-1.amazonaws.com.cn/111122223333/q'],
    ['arn:aws-us-gov:sqs:us-gov-west-1:111122223333:q', 'https://sqs.us-gov-west-1.amazonaws.com/111122223333/q'],
  ])('turns %s into %s', (arn, url) => {
    expect(queueUrlFromArn(arn)).toBe(url);
  });

  test.each(['', 'arn:aws:sns:us-east-1:111122223333:topic', 'arn:aws:sqs:us-east-1:111122223333', 'https://sqs.us-east-1.amazonaws.com/1/q'])(
    'fails if %p is not a queue ARN',
    (arn) => {
      expect(() => queueUrlFromArn(arn)).toThrow(/Not an SQS queue ARN/);
    },
  );
});
