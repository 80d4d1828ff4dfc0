import { RekognitionClient, StartMediaAnalysisJobCommand } from '@aws-sdk/client-rekognition';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { ModerationJobEnvironment } from '../../../lib/job/moderation-job-contract';
import { captureLogs } from '../../support/capture-logs';
import { createEvent, FULL_PROPERTIES } from './fixtures';

const TRACKING = 'arn:aws:states:eu-west-1:123456789012:stateMachine:PipelineTrackingStateMachine1A2B3C';

// Set before the entry point loads: it reads its environment once per container.
process.env[ModerationJobEnvironment.TRACKING_STATE_MACHINE_ARN] = TRACKING;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { onEvent } = require('../../../lambda/job') as typeof import('../../../lambda/job');

afterAll(() => {
  delete process.env[ModerationJobEnvironment.TRACKING_STATE_MACHINE_ARN];
});

test('the Lambda entry point tracks the job on the state machine named in the environment the construct writes', async () => {
  const rekognition = mockClient(RekognitionClient);
  const sfn = mockClient(SFNClient);
  rekognition.on(StartMediaAnalysisJobCommand).resolves({ JobId: 'job-1' });
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:started' });
  const logs = captureLogs();
  try {
    const response = await onEvent(createEvent(FULL_PROPERTIES), { awsRequestId: 'r', getRemainingTimeInMillis: () => 120_000 });

    const [execution] = sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input);
    expect(execution.stateMachineArn).toBe(TRACKING);
    expect(execution.name).toBe(response.Data!.ClientRequestToken);
  } finally {
    logs.restore();
  }
});
