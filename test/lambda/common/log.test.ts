import { Logger } from '../../../lambda/common/log';
import { captureLogs, CapturedLogs } from '../../support/capture-logs';

let logs: CapturedLogs;
beforeEach(() => (logs = captureLogs()));
afterEach(() => logs.restore());

test('writes one bare JSON line with persistent keys, invocation context and the entry fields', () => {
  const logger = new Logger({});
  logger.appendPersistentKeys({ stage: 'trigger' });
  logger.startInvocation({ awsRequestId: 'req-1' });
  logger.info('batch done', { records: 3 });
  expect(logs.lines()).toEqual([
    expect.objectContaining({ level: 'INFO', message: 'batch done', stage: 'trigger', requestId: 'req-1', coldStart: true, records: 3, time: expect.any(String) }),
  ]);
});

test('only the first invocation of a container is a cold start, and each has its own request id', () => {
  const logger = new Logger({});
  logger.startInvocation({ awsRequestId: 'a' });
  logger.startInvocation({ awsRequestId: 'b' });
  logger.warn('second');
  expect(logs.lines()).toEqual([expect.objectContaining({ requestId: 'b', coldStart: false, level: 'WARN' })]);
});

test.each([
  ['', ['INFO', 'WARN', 'ERROR']],
  ['DEBUG', ['DEBUG', 'INFO', 'WARN', 'ERROR']],
  ['TRACE', ['DEBUG', 'INFO', 'WARN', 'ERROR']],
  ['warn', ['WARN', 'ERROR']],
  ['ERROR', ['ERROR']],
  ['FATAL', ['ERROR']],
  ['nonsense', ['INFO', 'WARN', 'ERROR']],
])('AWS_LAMBDA_LOG_LEVEL=%p keeps %p', (level, kept) => {
  const logger = new Logger({ AWS_LAMBDA_LOG_LEVEL: level });
  logger.debug('d');
  logger.info('i');
  logger.warn('w');
  logger.error('e');
  expect(logs.lines().map((line) => line.level)).toEqual(kept);
});

test('entry fields win over persistent keys of the same name', () => {
  const logger = new Logger({});
  logger.appendPersistentKeys({ token: 'container' });
  logger.info('x', { token: 'entry' });
  expect(logs.lines()[0].token).toBe('entry');
});
