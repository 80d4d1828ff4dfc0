import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { JOB_COMPLETED_DETAIL_TYPE, JobStatus, MODERATION_EVENT_SOURCE, ModerationEvents, ModerationPipeline, ModerationPipelineProps } from '../../../lib';
import { arnOf, asArray, logicalId, resourceProperties, roleStatements } from '../../support/synth-helpers';

/** A pipeline 'Pipeline' in a new stack, with a queue 'Target' beside it. */
function build(props: ModerationPipelineProps | ((stack: Stack) => ModerationPipelineProps) = {}) {
  const stack = new Stack(new App(), 'Stack');
  const pipeline = new ModerationPipeline(stack, 'Pipeline', typeof props === 'function' ? props(stack) : props);
  const queue = new sqs.Queue(stack, 'Target');
  return { stack, pipeline, queue };
}

const COMPLETION_PATTERN = (pipelineId: string, status?: string) => ({
  'source': ['cdk-bulk-moderation'],
  'detail-type': ['Moderation Job Completed'],
  'detail': status ? { pipeline: [pipelineId], status: [status] } : { pipeline: [pipelineId] },
});

describe('ModerationEvents', () => {
  test('names the source and detail-type the completion events carry (static members, for jsii)', () => {
    expect(ModerationEvents.SOURCE).toBe('cdk-bulk-moderation');
    expect(ModerationEvents.JOB_COMPLETED_DETAIL_TYPE).toBe('Moderation Job Completed');
  });

  test('keeps the deprecated top-level constants working', () => {
    expect(MODERATION_EVENT_SOURCE).toBe(ModerationEvents.SOURCE);
    expect(JOB_COMPLETED_DETAIL_TYPE).toBe(ModerationEvents.JOB_COMPLETED_DETAIL_TYPE);
  });
});

describe('ModerationPipeline.onJobCompleted with a status', () => {
  test.each([JobStatus.SUCCEEDED, JobStatus.FAILED])('matches detail.status %s as the events spell it', (status) => {
    // GIVEN
    const { stack, pipeline } = build();

    // WHEN
    const rule = pipeline.onJobCompleted('Done', { status });

    // THEN
    expect(resourceProperties(Template.fromStack(stack), logicalId(rule)).EventPattern).toEqual(COMPLETION_PATTERN('Stack/Pipeline', status));
  });

  test('fails if detailStatus is not spelt as the events spell it (the rule would never match), naming the value', () => {
    // GIVEN
    const { pipeline } = build();

    // WHEN / THEN
    expect(() => pipeline.onJobCompleted('Done', { detailStatus: 'failed' })).toThrow(/detailStatus must be 'SUCCEEDED' or 'FAILED'.*\(given 'failed'\)/);
  });

  test('still accepts the deprecated detailStatus spelt right', () => {
    // GIVEN
    const { stack, pipeline } = build();

    // WHEN
    const rule = pipeline.onJobCompleted('Done', { detailStatus: 'FAILED' });

    // THEN
    expect(resourceProperties(Template.fromStack(stack), logicalId(rule)).EventPattern).toEqual(COMPLETION_PATTERN('Stack/Pipeline', 'FAILED'));
  });

  test('fails if both status and detailStatus are given', () => {
    const { pipeline } = build();

    expect(() => pipeline.onJobCompleted('Done', { status: JobStatus.FAILED, detailStatus: 'FAILED' })).toThrow(/status and detailStatus are exclusive/);
  });

  test('takes the OnEventOptions: ruleName, and an eventPattern merged into the pipeline\'s', () => {
    // GIVEN
    const { stack, pipeline } = build();

    // WHEN
    const rule = pipeline.onJobCompleted('Done', {
      ruleName: 'moderation-failures',
      status: JobStatus.FAILED,
      eventPattern: { detail: { failure: { stage: ['TRACKING_TIMEOUT'] } } },
    });

    // THEN
    const properties = resourceProperties(Template.fromStack(stack), logicalId(rule));
    expect(properties.Name).toBe('moderation-failures');
    expect(properties.EventPattern).toEqual({
      'source': ['cdk-bulk-moderation'],
      'detail-type': ['Moderation Job Completed'],
      'detail': { pipeline: ['Stack/Pipeline'], status: ['FAILED'], failure: { stage: ['TRACKING_TIMEOUT'] } },
    });
  });
});

describe('ModerationPipeline.onJobCompleted', () => {
  test('creates a rule on the default bus matching this pipeline\'s completion events, with the target', () => {
    // GIVEN
    const { stack, pipeline, queue } = build();

    // WHEN
    const rule = pipeline.onJobCompleted('Done', { target: new targets.SqsQueue(queue) });

    // THEN
    expect(rule).toBeInstanceOf(events.Rule);
    const properties = resourceProperties(Template.fromStack(stack), logicalId(rule));
    expect(properties).toEqual(expect.objectContaining({
      EventBusName: 'default',
      EventPattern: COMPLETION_PATTERN('Stack/Pipeline'),
      State: 'ENABLED',
      Description: 'Completion events of Stack/Pipeline',
      Targets: [expect.objectContaining({ Arn: arnOf(logicalId(queue)), Id: expect.any(String) })],
    }));
  });

  test('creates the rule on the pipeline\'s eventBus when one is given', () => {
    // GIVEN
    let bus: events.EventBus | undefined;
    const { stack, pipeline, queue } = build((scope) => {
      bus = new events.EventBus(scope, 'Bus');
      return { eventBus: bus };
    });

    // WHEN
    const rule = pipeline.onJobCompleted('Done', { target: new targets.SqsQueue(queue) });

    // THEN
    const properties = resourceProperties(Template.fromStack(stack), logicalId(rule));
    expect(properties.EventBusName).toEqual({ Ref: logicalId(bus!) });
    expect(properties.EventPattern).toEqual(COMPLETION_PATTERN('Stack/Pipeline'));
  });

  test.each(['SUCCEEDED', 'FAILED'])('narrows the rule to detail.status %s with detailStatus', (status) => {
    // GIVEN
    const { stack, pipeline, queue } = build();

    // WHEN
    const rule = pipeline.onJobCompleted('Outcome', { target: new targets.SqsQueue(queue), detailStatus: status, description: 'Outcome events' });

    // THEN
    const properties = resourceProperties(Template.fromStack(stack), logicalId(rule));
    expect(properties.EventPattern).toEqual(COMPLETION_PATTERN('Stack/Pipeline', status));
    expect(properties.Description).toBe('Outcome events');
  });

  test('creates a rule without targets when none is given, to which a target can be added', () => {
    // GIVEN
    const { stack, pipeline, queue } = build();

    // WHEN
    const bare = pipeline.onJobCompleted('Bare');
    const later = pipeline.onJobCompleted('Later');
    later.addTarget(new targets.SqsQueue(queue));

    // THEN
    const template = Template.fromStack(stack);
    expect(resourceProperties(template, logicalId(bare)).Targets).toBeUndefined();
    expect(resourceProperties(template, logicalId(later)).Targets).toEqual([expect.objectContaining({ Arn: arnOf(logicalId(queue)) })]);
  });

  test('matches on the full construct path, so two pipelines on one bus are told apart', () => {
    // GIVEN two pipelines, one nested in a construct
    const stack = new Stack(new App(), 'Stack');
    const images = new ModerationPipeline(stack, 'Images');
    const avatars = new ModerationPipeline(new Construct(stack, 'Profiles'), 'Avatars');

    // WHEN
    const imagesRule = images.onJobCompleted('Done');
    const avatarsRule = avatars.onJobCompleted('Done');

    // THEN
    const template = Template.fromStack(stack);
    expect(resourceProperties(template, logicalId(imagesRule)).EventPattern.detail).toEqual({ pipeline: ['Stack/Images'] });
    expect(resourceProperties(template, logicalId(avatarsRule)).EventPattern.detail).toEqual({ pipeline: ['Stack/Profiles/Avatars'] });
    expect(avatars.pipelineId).toBe('Stack/Profiles/Avatars');
  });
});

describe('ModerationPipeline.grantReadResults', () => {
  /** Builds a pipeline and a role, grants the role read access to the results; returns the role's statements. */
  function grantToRole(props: ModerationPipelineProps = {}) {
    const { stack, pipeline } = build(props);
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
    const grant = pipeline.grantReadResults(role);
    const template = Template.fromStack(stack);
    return { pipeline, role, grant, template, statements: roleStatements(template, role) };
  }

  let granted: ReturnType<typeof grantToRole>;
  let ids: { output: string; key: string };

  beforeAll(() => {
    // GIVEN / WHEN
    granted = grantToRole();
    ids = { output: logicalId(granted.pipeline.outputBucket), key: logicalId(granted.pipeline.encryptionKey) };
  });

  test('reads objects and object versions under the output prefix only', () => {
    expect(granted.statements).toContainEqual({
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:GetObjectVersion'],
      Resource: { 'Fn::Join': ['', [arnOf(ids.output), '/results/*']] },
    });
  });

  test('lists the output bucket only under the output prefix (s3:prefix condition)', () => {
    expect(granted.statements).toContainEqual({
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: arnOf(ids.output),
      Condition: { StringLike: { 's3:prefix': ['results/*'] } },
    });
  });

  test('decrypts with the pipeline key', () => {
    expect(granted.statements).toContainEqual({ Effect: 'Allow', Action: 'kms:Decrypt', Resource: arnOf(ids.key) });
  });

  test('grants nothing broader: no other action, no write, no other bucket, key or prefix', () => {
    const actions = granted.statements.flatMap((s) => asArray<string>(s.Action)).sort();
    expect(actions).toEqual(['kms:Decrypt', 's3:GetObject', 's3:GetObjectVersion', 's3:ListBucket']);
    expect(granted.statements.every((s) => s.Effect === 'Allow')).toBe(true);
    expect(granted.statements).toHaveLength(3);
    const text = JSON.stringify(granted.statements);
    expect(text).not.toContain(logicalId(granted.pipeline.inputBucket));
  });

  test('leaves the key policy alone (the account-rooted key policy lets IAM grant it)', () => {
    const keyPolicy = JSON.stringify(resourceProperties(granted.template, ids.key).KeyPolicy);
    expect(keyPolicy).not.toContain(logicalId(granted.role));
  });

  test('returns a successful grant', () => {
    expect(granted.grant.success).toBe(true);
  });

  test('follows a custom outputPrefix in both the object ARN and the list condition', () => {
    // GIVEN / WHEN
    const custom = grantToRole({ outputPrefix: 'moderated/2026/' });

    // THEN
    const output = logicalId(custom.pipeline.outputBucket);
    expect(custom.statements).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: { 'Fn::Join': ['', [arnOf(output), '/moderated/2026/*']] } }),
      expect.objectContaining({ Action: 's3:ListBucket', Condition: { StringLike: { 's3:prefix': ['moderated/2026/*'] } } }),
    ]));
  });
});
