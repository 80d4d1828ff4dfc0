import { App, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { JOB_COMPLETED_DETAIL_TYPE, MODERATION_EVENT_SOURCE, ModerationPipeline, ModerationPipelineProps } from '../../../lib';
import { WORKFLOW_RETRYABLE_ERRORS } from '../../../lib/common/contract/error-names';
import { definitionFromTemplate } from '../../support/local-state-machine';
import {
  SynthesizedPipeline,
  arnOf,
  asArray,
  logicalId,
  resourceProperties,
  roleStatements,
  statementsGranting,
  stringParts,
  synthPipeline,
} from '../../support/synth-helpers';

/** The ASL of the pipeline's tracking workflow, references written `${Ref:<id>}` / `${<id>.<attribute>}`. */
function trackingDefinition(synthesized: SynthesizedPipeline): any {
  return definitionFromTemplate(synthesized.template, {
    stateMachine: logicalId(synthesized.pipeline.trackingStateMachine),
    render: 'symbolic',
  });
}

/** Every action the statements allow, with the resources they allow it on. */
function allowedActions(statements: any[]): Array<{ action: string; resources: unknown[]; condition?: unknown }> {
  return statements
    .filter((s) => s.Effect === 'Allow')
    .flatMap((s) => asArray<string>(s.Action).map((action) => ({ action, resources: asArray(s.Resource), condition: s.Condition })));
}

function stateMachineRoleStatements(synthesized: SynthesizedPipeline): any[] {
  return roleStatements(synthesized.template, (synthesized.pipeline.trackingStateMachine as sfn.StateMachine).role);
}

const DEFAULT_BUS_ARN = {
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':event-bus/default']],
};

describe('job tracking with default props', () => {
  let synthesized: SynthesizedPipeline;
  let template: Template;
  let definition: any;
  let ids: { stateMachine: string; tracker: string; trackerRole: string; key: string; input: string; output: string; trigger: string };

  beforeAll(() => {
    // GIVEN / WHEN
    synthesized = synthPipeline();
    template = synthesized.template;
    definition = trackingDefinition(synthesized);
    const { pipeline } = synthesized;
    ids = {
      stateMachine: logicalId(pipeline.trackingStateMachine),
      tracker: logicalId(pipeline.trackerFunction),
      trackerRole: logicalId(pipeline.trackerFunction.role!),
      key: logicalId(pipeline.encryptionKey),
      input: logicalId(pipeline.inputBucket),
      output: logicalId(pipeline.outputBucket),
      trigger: logicalId(pipeline.triggerFunction),
    };
  });

  describe('state machine', () => {
    test('is a Standard workflow with X-Ray tracing', () => {
      const properties = resourceProperties(template, ids.stateMachine);
      expect(properties.StateMachineType).toBe('STANDARD');
      expect(properties.TracingConfiguration).toEqual({ Enabled: true });
    });

    test('logs every event with its data to a log group of its own, kept one year and retained', () => {
      const logging = resourceProperties(template, ids.stateMachine).LoggingConfiguration;
      expect(logging).toEqual({
        Level: 'ALL',
        IncludeExecutionData: true,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: arnOf(expect.any(String) as any) } }],
      });
      const logGroupId: string = logging.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0];
      const logGroup = template.toJSON().Resources[logGroupId];
      expect(logGroup).toEqual(expect.objectContaining({
        Type: 'AWS::Logs::LogGroup',
        Properties: expect.objectContaining({ RetentionInDays: 365 }),
        DeletionPolicy: 'Retain',
      }));
      // Not shared with the functions' log groups.
      const functionLogGroups = [ids.tracker, ids.trigger].map((id) => resourceProperties(template, id).LoggingConfig.LogGroup.Ref);
      expect(functionLogGroups).not.toContain(logGroupId);
    });

    test('times an execution out 7 days after its start plus a poll interval (5 minutes) and 3 hours to report the tracker\'s timeout', () => {
      expect(definition.TimeoutSeconds).toBe(7 * 24 * 3600 + 300 + 3 * 3600);
    });

    test('starts with StartTracking: the execution\'s start time at $.tracking.startedAt, then CheckJob', () => {
      expect(definition.StartAt).toBe('StartTracking');
      expect(definition.States.StartTracking).toEqual({
        Type: 'Pass',
        Parameters: { 'startedAt.$': '$$.Execution.StartTime' },
        ResultPath: '$.tracking',
        Next: 'CheckJob',
      });
    });

    test('checks the job with the tracker function, with the whole state as payload and its answer at $.step', () => {
      expect(definition.States.CheckJob).toEqual({
        Type: 'Task',
        Resource: `\${${ids.tracker}.Arn}`,
        ResultPath: '$.step',
        Next: 'Finished?',
        Retry: expect.any(Array),
      });
    });

    test('retries CheckJob on throttling and service errors only: 30 s, doubling, up to 10 times, at most 15 min apart, full jitter', () => {
      expect(definition.States.CheckJob.Retry).toEqual([{
        ErrorEquals: [...WORKFLOW_RETRYABLE_ERRORS],
        IntervalSeconds: 30,
        BackoffRate: 2,
        MaxAttempts: 10,
        MaxDelaySeconds: 900,
        JitterStrategy: 'FULL',
      }]);
      // Neither everything nor a bare Error (a bug): a read cut off mid-stream is ReadInterruptedError.
      expect(definition.States.CheckJob.Retry[0].ErrorEquals).not.toContain('States.ALL');
      expect(definition.States.CheckJob.Retry[0].ErrorEquals).not.toContain('Error');
      expect(definition.States.CheckJob.Retry[0].ErrorEquals).toEqual(expect.arrayContaining(['ThrottlingException', 'SlowDown', 'Lambda.ServiceException', 'ReadInterruptedError']));
      expect(definition.States.CheckJob.Catch).toBeUndefined();
    });

    test('publishes when the tracker says done, and otherwise waits 5 minutes and checks again', () => {
      expect(definition.States['Finished?']).toEqual({
        Type: 'Choice',
        Choices: [{ Variable: '$.step.done', BooleanEquals: true, Next: 'PublishCompletion' }],
        Default: 'WaitForJob',
      });
      expect(definition.States.WaitForJob).toEqual({ Type: 'Wait', Seconds: 300, Next: 'CheckJob' });
    });

    test('puts the tracker\'s detail on the default bus as one \'Moderation Job Completed\' event from cdk-bulk-moderation', () => {
      expect(definition.States.PublishCompletion).toEqual({
        Type: 'Task',
        Resource: 'arn:aws:states:::events:putEvents',
        Parameters: {
          Entries: [{ 'Detail.$': '$.step.detail', 'DetailType': JOB_COMPLETED_DETAIL_TYPE, 'Source': MODERATION_EVENT_SOURCE }],
        },
        ResultPath: '$.published',
        Next: 'EventAccepted?',
        Retry: [expect.objectContaining({ ErrorEquals: ['States.ALL'] })],
      });
      expect(MODERATION_EVENT_SOURCE).toBe('cdk-bulk-moderation');
      expect(JOB_COMPLETED_DETAIL_TYPE).toBe('Moderation Job Completed');
    });

    test('fails in EventNotPublished when EventBridge rejects the entry, else reports success (no topic to notify)', () => {
      expect(definition.States['EventAccepted?']).toEqual({
        Type: 'Choice',
        Choices: [{ Variable: '$.published.FailedEntryCount', NumericGreaterThan: 0, Next: 'EventNotPublished' }],
        Default: 'Reported',
      });
      expect(definition.States.EventNotPublished).toEqual(expect.objectContaining({ Type: 'Fail', Error: 'EventNotPublished' }));
      expect(definition.States.Reported).toEqual({ Type: 'Succeed' });
      expect(Object.keys(definition.States).sort()).toEqual(
        ['CheckJob', 'EventAccepted?', 'EventNotPublished', 'Finished?', 'PublishCompletion', 'Reported', 'StartTracking', 'WaitForJob'],
      );
    });
  });

  describe('tracker function', () => {
    test('runs the bundled tracker on nodejs24.x / arm64 with 512 MB for 5 minutes', () => {
      expect(resourceProperties(template, ids.tracker)).toEqual(expect.objectContaining({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: 512,
        Timeout: 300,
        Role: arnOf(ids.trackerRole),
        Code: expect.objectContaining({ S3Key: expect.stringMatching(/^[0-9a-f]{64}\.zip$/) }),
      }));
    });

    test('gets the key, the pipeline id (the construct path), the tracking timeout and the manifest prefix through its environment', () => {
      expect(resourceProperties(template, ids.tracker).Environment.Variables).toEqual({
        KMS_KEY_ID: arnOf(ids.key),
        PIPELINE_ID: 'Stack/Pipeline',
        TRACKING_TIMEOUT_SECONDS: String(7 * 24 * 3600),
        MANIFEST_PREFIX: 'manifests/',
      });
      expect(synthesized.pipeline.pipelineId).toBe('Stack/Pipeline');
    });
  });

  describe('tracker role', () => {
    let statements: any[];

    beforeAll(() => {
      statements = roleStatements(template, synthesized.pipeline.trackerFunction.role!);
    });

    test('reads job status with rekognition:GetMediaAnalysisJob on "*" (no resource type), and nothing else on "*"', () => {
      expect(statementsGranting(statements, 'rekognition:GetMediaAnalysisJob')).toEqual([
        expect.objectContaining({ Action: 'rekognition:GetMediaAnalysisJob', Resource: '*' }),
      ]);
      const onStar = allowedActions(statements).filter((a) => a.resources.includes('*')).map((a) => a.action);
      expect(onStar).toEqual(['rekognition:GetMediaAnalysisJob']);
    });

    test('reads and writes objects only under the output prefix of the output bucket', () => {
      const s3 = allowedActions(statements).filter((a) => a.action.startsWith('s3:') && a.action !== 's3:ListBucket' && !isSkipReportGrant(a));
      expect(s3.map((a) => a.action).sort()).toEqual(['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject']);
      for (const grant of s3) {
        expect(grant.resources).toEqual([{ 'Fn::Join': ['', [arnOf(ids.output), '/results/*']] }]);
      }
    });

    test('lists the output bucket under the output prefix only, so a results object that is gone reads as NoSuchKey', () => {
      const lists = allowedActions(statements).filter((a) => a.action === 's3:ListBucket' && !isSkipReportGrant(a));
      expect(lists).toEqual([{
        action: 's3:ListBucket',
        resources: [arnOf(ids.output)],
        condition: { StringLike: { 's3:prefix': ['results/*'] } },
      }]);
    });

    test('reads only the skip reports of image ingestion and backfills in the input bucket, and lists only their folders (a missing report reads as NoSuchKey)', () => {
      const onInput = allowedActions(statements).filter(isSkipReportGrant);
      expect(onInput).toEqual([
        {
          action: 's3:GetObject',
          resources: [
            { 'Fn::Join': ['', [arnOf(ids.input), '/manifests/ingest/*.skipped.json']] },
            { 'Fn::Join': ['', [arnOf(ids.input), '/manifests/backfill/*.skipped.json']] },
          ],
          condition: undefined,
        },
        {
          action: 's3:ListBucket',
          resources: [arnOf(ids.input)],
          condition: { StringLike: { 's3:prefix': ['manifests/ingest/*', 'manifests/backfill/*'] } },
        },
      ]);
    });

    /** A grant on the input bucket: the skip reports. */
    function isSkipReportGrant(grant: { resources: unknown[] }): boolean {
      return JSON.stringify(grant.resources).includes(ids.input);
    }

    test('decrypts and encrypts with the pipeline key only', () => {
      const kms = allowedActions(statements).filter((a) => a.action.startsWith('kms:'));
      expect(kms.map((a) => a.action).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
      for (const grant of kms) expect(grant.resources).toEqual([arnOf(ids.key)]);
    });

    test('has no other permissions than its own logs', () => {
      const others = allowedActions(statements).filter((a) => !/^(s3|kms|rekognition):/.test(a.action));
      expect(others.map((a) => a.action).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
      const logGroupId = resourceProperties(template, ids.tracker).LoggingConfig.LogGroup.Ref;
      for (const grant of others) expect(grant.resources).toEqual([arnOf(logGroupId)]);
    });
  });

  describe('trigger', () => {
    test('may start executions of exactly this state machine, and of no other', () => {
      const statements = roleStatements(template, synthesized.pipeline.triggerFunction.role!);
      const starts = allowedActions(statements).filter((a) => a.action.startsWith('states:'));
      expect(starts).toEqual([{ action: 'states:StartExecution', resources: [{ Ref: ids.stateMachine }], condition: undefined }]);
    });

    test('gets the state machine ARN as TRACKING_STATE_MACHINE_ARN', () => {
      expect(resourceProperties(template, ids.trigger).Environment.Variables.TRACKING_STATE_MACHINE_ARN).toEqual({ Ref: ids.stateMachine });
    });
  });

  describe('state machine role', () => {
    test('is assumed by Step Functions only', () => {
      const role = resourceProperties(template, logicalId((synthesized.pipeline.trackingStateMachine as sfn.StateMachine).role));
      expect(role.AssumeRolePolicyDocument.Statement).toEqual([
        expect.objectContaining({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'states.amazonaws.com' } }),
      ]);
    });

    test('invokes the tracker (and its versions) and no other function', () => {
      const invokes = allowedActions(stateMachineRoleStatements(synthesized)).filter((a) => a.action.startsWith('lambda:'));
      expect(invokes).toEqual([{
        action: 'lambda:InvokeFunction',
        resources: [arnOf(ids.tracker), { 'Fn::Join': ['', [arnOf(ids.tracker), ':*']] }],
        condition: undefined,
      }]);
    });

    test('puts events on the default bus only, and publishes to no topic', () => {
      const actions = allowedActions(stateMachineRoleStatements(synthesized));
      expect(actions.filter((a) => a.action.startsWith('events:'))).toEqual([
        { action: 'events:PutEvents', resources: [DEFAULT_BUS_ARN], condition: undefined },
      ]);
      expect(actions.filter((a) => a.action.startsWith('sns:') || a.action.startsWith('kms:'))).toEqual([]);
    });
  });

  test('creates no completion topic', () => {
    expect(synthesized.pipeline.completionTopic).toBeUndefined();
    // The only topic is the alarms'.
    expect(Object.keys(template.findResources('AWS::SNS::Topic'))).toEqual([logicalId(synthesized.pipeline.alarmTopic!)]);
  });
});

describe('job tracking with custom pollInterval, trackingTimeout, eventBus and createCompletionTopic', () => {
  let synthesized: SynthesizedPipeline;
  let definition: any;
  let bus: events.EventBus;
  let ids: { topic: string; key: string; bus: string };

  beforeAll(() => {
    // GIVEN / WHEN
    synthesized = synthPipeline((stack) => {
      bus = new events.EventBus(stack, 'Bus');
      return { pollInterval: Duration.minutes(10), trackingTimeout: Duration.days(2), eventBus: bus, createCompletionTopic: true };
    });
    definition = trackingDefinition(synthesized);
    ids = {
      topic: logicalId(synthesized.pipeline.completionTopic!),
      key: logicalId(synthesized.pipeline.encryptionKey),
      bus: logicalId(bus),
    };
  });

  test('waits pollInterval between two checks', () => {
    expect(definition.States.WaitForJob).toEqual({ Type: 'Wait', Seconds: 600, Next: 'CheckJob' });
  });

  test('tells the tracker to give up after trackingTimeout, and times an execution out a poll interval and 3 hours later', () => {
    const tracker = resourceProperties(synthesized.template, logicalId(synthesized.pipeline.trackerFunction));
    expect(tracker.Environment.Variables.TRACKING_TIMEOUT_SECONDS).toBe(String(2 * 24 * 3600));
    expect(definition.TimeoutSeconds).toBe(2 * 24 * 3600 + 600 + 3 * 3600);
  });

  test('puts the event on the given bus', () => {
    expect(definition.States.PublishCompletion.Parameters.Entries).toEqual([{
      'Detail.$': '$.step.detail',
      'DetailType': JOB_COMPLETED_DETAIL_TYPE,
      'Source': MODERATION_EVENT_SOURCE,
      'EventBusName': `\${${ids.bus}.Arn}`,
    }]);
    expect(synthesized.pipeline.eventBus).toBe(bus);
  });

  test('then publishes the detail to the topic (subject \'Moderation Job Completed\'), retried, and reports', () => {
    expect(definition.States['EventAccepted?'].Default).toBe('NotifyTopic');
    expect(definition.States.NotifyTopic).toEqual({
      Type: 'Task',
      Resource: 'arn:aws:states:::sns:publish',
      Parameters: { 'TopicArn': `\${Ref:${ids.topic}}`, 'Message.$': '$.step.detail', 'Subject': JOB_COMPLETED_DETAIL_TYPE },
      ResultPath: null,
      Next: 'Reported',
      Retry: [expect.objectContaining({ ErrorEquals: ['States.ALL'] })],
    });
  });

  test('lets the state machine put events on that bus only', () => {
    const puts = allowedActions(stateMachineRoleStatements(synthesized)).filter((a) => a.action.startsWith('events:'));
    expect(puts).toEqual([{ action: 'events:PutEvents', resources: [arnOf(ids.bus)], condition: undefined }]);
  });

  test('lets the state machine publish to the topic and use its key (GenerateDataKey, Decrypt) only', () => {
    const actions = allowedActions(stateMachineRoleStatements(synthesized));
    expect(actions.filter((a) => a.action.startsWith('sns:'))).toEqual([
      { action: 'sns:Publish', resources: [{ Ref: ids.topic }], condition: undefined },
    ]);
    const kms = actions.filter((a) => a.action.startsWith('kms:'));
    expect(kms.map((a) => a.action).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    for (const grant of kms) expect(grant.resources).toEqual([arnOf(ids.key)]);
  });

  test('creates a topic encrypted with the pipeline key, exposed as completionTopic', () => {
    expect(resourceProperties(synthesized.template, ids.topic).KmsMasterKeyId).toEqual(arnOf(ids.key));
  });

  test('denies publishing to the topic over plain HTTP (TLS only)', () => {
    synthesized.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: ids.topic }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Effect: 'Deny',
          Principal: Match.anyValue(),
          Action: 'sns:Publish',
          Resource: { Ref: ids.topic },
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        })]),
      },
    });
  });
});

describe('job tracking with a completionTopic of the user', () => {
  test('publishes to that topic and grants sns:Publish on it, without creating one', () => {
    // GIVEN
    let topic: sns.Topic | undefined;

    // WHEN
    const synthesized = synthPipeline((stack) => {
      topic = new sns.Topic(stack, 'Topic');
      return { completionTopic: topic };
    });

    // THEN
    const topicId = logicalId(topic!);
    expect(synthesized.pipeline.completionTopic).toBe(topic);
    expect(Object.keys(synthesized.template.findResources('AWS::SNS::Topic')).sort())
      .toEqual([topicId, logicalId(synthesized.pipeline.alarmTopic!)].sort());
    expect(trackingDefinition(synthesized).States.NotifyTopic.Parameters.TopicArn).toBe(`\${Ref:${topicId}}`);
    const publishes = allowedActions(stateMachineRoleStatements(synthesized)).filter((a) => a.action.startsWith('sns:'));
    expect(publishes).toEqual([{ action: 'sns:Publish', resources: [{ Ref: topicId }], condition: undefined }]);
  });
});

describe('job tracking props validation', () => {
  function build(props: ModerationPipelineProps | ((stack: Stack) => ModerationPipelineProps)): ModerationPipeline {
    const stack = new Stack(new App(), 'Stack');
    return new ModerationPipeline(stack, 'Pipeline', typeof props === 'function' ? props(stack) : props);
  }

  test.each<[string, ModerationPipelineProps, RegExp]>([
    ['pollInterval is under 1 minute', { pollInterval: Duration.seconds(59) },
      /pollInterval must be between 1 and 60 minutes \(given 59 seconds\)/],
    ['pollInterval is over 60 minutes', { pollInterval: Duration.minutes(61) },
      /pollInterval must be between 1 and 60 minutes \(given 1 hour 1 minute\)/],
    ['trackingTimeout is under 1 hour', { trackingTimeout: Duration.minutes(59) },
      /trackingTimeout must be at least 1 hour \(given 59 minutes\)/],
    ['trackingTimeout needs more polls than one execution history holds (30 days / 1 minute)', { trackingTimeout: Duration.days(30), pollInterval: Duration.minutes(1) },
      /trackingTimeout \/ pollInterval must not exceed 2,500 polls.*\(given 30 days \/ 1 minute\)/],
    ['trackingTimeout at the default pollInterval needs more than 2,500 polls (9 days / 5 minutes)', { trackingTimeout: Duration.days(9) },
      /trackingTimeout \/ pollInterval must not exceed 2,500 polls.*\(given 9 days \/ 5 minutes\)/],
  ])('fails if %s', (_case, props, message) => {
    expect(() => build(props)).toThrow(message);
  });

  test('fails if both completionTopic and createCompletionTopic are given', () => {
    expect(() => build((stack) => ({ completionTopic: new sns.Topic(stack, 'Topic'), createCompletionTopic: true })))
      .toThrow(/completionTopic and createCompletionTopic are exclusive/);
  });

  test('accepts the boundaries: 1 and 60 minute polls, a 1 hour timeout, exactly 2,500 polls', () => {
    expect(() => build({ pollInterval: Duration.minutes(1), trackingTimeout: Duration.hours(1) })).not.toThrow();
    expect(() => build({ pollInterval: Duration.minutes(60), trackingTimeout: Duration.hours(2500) })).not.toThrow();
    expect(() => build({ pollInterval: Duration.minutes(1), trackingTimeout: Duration.minutes(2500) })).not.toThrow();
  });

  test('does not judge a pollInterval given as a token, and waits for the token\'s seconds', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Stack');
    const seconds = new CfnParameter(stack, 'PollSeconds', { type: 'Number' }).valueAsNumber;

    // WHEN
    const pipeline = new ModerationPipeline(stack, 'Pipeline', { pollInterval: Duration.seconds(seconds) });

    // THEN the Wait state's Seconds is the parameter
    const definitionString = resourceProperties(Template.fromStack(stack), logicalId(pipeline.trackingStateMachine)).DefinitionString;
    const parts = stringParts(definitionString);
    const index = parts.findIndex((part) => JSON.stringify(part) === JSON.stringify({ Ref: 'PollSeconds' }));
    expect(index).toBeGreaterThan(0);
    expect(parts[index - 1]).toMatch(/"WaitForJob":\{"Type":"Wait","Seconds":$/);
  });
});
