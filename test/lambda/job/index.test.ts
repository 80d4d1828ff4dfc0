import { isComplete, onEvent } from '../../../lambda/job';
import { captureLogs, CapturedLogs } from '../../support/capture-logs';
import { deleteEvent, FULL_PROPERTIES } from './fixtures';

let logs: CapturedLogs;
beforeEach(() => {
  logs = captureLogs();
});
afterEach(() => logs.restore());

const DELETE = deleteEvent(FULL_PROPERTIES, 'job-1');

test('onEvent writes the stage, request id and cold start on every line of an invocation', async () => {
  await onEvent(DELETE, { awsRequestId: 'lambda-request-1', getRemainingTimeInMillis: () => 60_000 });

  const lines = logs.lines();
  expect(lines.length).toBeGreaterThanOrEqual(2);
  for (const line of lines) expect(line).toMatchObject({ stage: 'job', requestId: 'lambda-request-1', coldStart: expect.any(Boolean) });
});

test('isComplete starts an invocation of its own: a new request id, no longer a cold start', async () => {
  await onEvent(DELETE, { awsRequestId: 'lambda-request-1', getRemainingTimeInMillis: () => 60_000 });
  await isComplete({ ...DELETE, PhysicalResourceId: undefined } as any, { awsRequestId: 'lambda-request-2' }).catch(() => undefined);

  const second = logs.lines().filter((line) => line.requestId === 'lambda-request-2');
  expect(second.length).toBeGreaterThanOrEqual(1);
  for (const line of second) expect(line).toMatchObject({ stage: 'job', coldStart: false });
});
