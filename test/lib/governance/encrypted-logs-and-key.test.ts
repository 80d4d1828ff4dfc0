import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { ModerationEngine, ModerationJob, ModerationPipeline } from '../../../lib';
import { logicalId, resourceProperties } from '../../support/synth-helpers';

const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555';
/** `/aws/vendedlogs/moderation/<UUID of this stack instance>/<pipeline address>/` as the template writes it. */
const STACK_UUID = { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] };

function logGroups(template: Template): any[] {
  return Object.values<any>(template.findResources('AWS::Logs::LogGroup')).map((group) => group.Properties);
}

describe('ModerationPipeline log groups, with the key it creates', () => {
  let pipeline: ModerationPipeline;
  let template: Template;
  let keyStatements: any[];

  beforeAll(() => {
    // GIVEN / WHEN
    const stack = new Stack(new App(), 'Stack');
    pipeline = new ModerationPipeline(stack, 'Pipeline', { engine: ModerationEngine.auto() });
    template = Template.fromStack(stack);
    keyStatements = resourceProperties(template, logicalId(pipeline.encryptionKey)).KeyPolicy.Statement;
  });

  test('encrypts every log group (functions and both workflows) with the pipeline\'s key', () => {
    const groups = logGroups(template);
    expect(groups).toHaveLength(7);
    for (const group of groups) {
      expect(group.KmsKeyId).toEqual({ 'Fn::GetAtt': [logicalId(pipeline.encryptionKey), 'Arn'] });
    }
  });

  test('names every log group under a prefix of this pipeline and this stack instance, by its construct path', () => {
    const names = logGroups(template).map((group) => group.LogGroupName);
    const named = (below: string) => ({ 'Fn::Join': ['', ['/aws/vendedlogs/moderation/', STACK_UUID, `/${pipeline.node.addr}/${below}`]] });
    expect(names.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual([
      'PerImage/ExecutionLogs',
      'PerImage/Functions/Batch/LogGroup',
      'PerImage/Functions/Finalize/LogGroup',
      'PerImage/Functions/Prepare/LogGroup',
      'Tracking/ExecutionLogs',
      'Tracking/Tracker/LogGroup',
      'Trigger/Handler/LogGroup',
    ].map(named));
  });

  test('lets CloudWatch Logs of this Region use the key only for log groups under that prefix', () => {
    const statement = keyStatements.find((s) => JSON.stringify(s.Principal).includes('logs.'));
    expect(statement).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
      Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      Resource: '*',
    });
    expect(statement.Condition).toEqual({
      ArnLike: {
        'kms:EncryptionContext:aws:logs:arn': {
          'Fn::Join': ['', [
            'arn:', { Ref: 'AWS::Partition' }, ':logs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' },
            ':log-group:/aws/vendedlogs/moderation/', STACK_UUID, `/${pipeline.node.addr}/*`,
          ]],
        },
      },
    });
  });

  test('denies kms:CreateGrant unless the grant is for an AWS resource or the caller is an AWS service', () => {
    expect(keyStatements).toContainEqual({
      Sid: 'GrantsOnlyForAwsResources',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 'kms:CreateGrant',
      Resource: '*',
      Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
    });
  });
});

describe('two ModerationPipelines sharing one key', () => {
  test('each lets CloudWatch Logs use it for its own log groups', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Stack');
    const key = new kms.Key(stack, 'MyKey');

    // WHEN
    const first = new ModerationPipeline(stack, 'First', { encryptionKey: key });
    const second = new ModerationPipeline(stack, 'Second', { encryptionKey: key });

    // THEN
    const statements = resourceProperties(Template.fromStack(stack), logicalId(key)).KeyPolicy.Statement
      .filter((s: any) => JSON.stringify(s.Principal).includes('logs.'));
    const scopes = statements.map((s: any) => JSON.stringify(s.Condition));
    expect(scopes).toHaveLength(2);
    expect(scopes[0]).toContain(first.node.addr);
    expect(scopes[1]).toContain(second.node.addr);
  });
});

describe('ModerationPipeline log groups, with an imported key', () => {
  test('leaves the log groups to CloudWatch Logs\' own encryption and warns', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Stack');

    // WHEN
    new ModerationPipeline(stack, 'Pipeline', { encryptionKey: kms.Key.fromKeyArn(stack, 'Key', KEY_ARN) });

    // THEN
    const template = Template.fromStack(stack);
    for (const group of logGroups(template)) {
      expect(group.KmsKeyId).toBeUndefined();
      expect(group.LogGroupName).toBeUndefined();
    }
    Annotations.fromStack(stack).hasWarning('/Stack/Pipeline', Match.stringLikeRegexp('ack: cdk-bulk-moderation:logGroupsNotEncrypted'));
  });
});

describe('ModerationPipeline log groups, with a key of the same stack', () => {
  test('encrypts them with that key and adds the CloudWatch Logs statement to its policy, but no Deny of its own', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Stack');
    const key = new kms.Key(stack, 'MyKey');

    // WHEN
    new ModerationPipeline(stack, 'Pipeline', { encryptionKey: key });

    // THEN
    const template = Template.fromStack(stack);
    for (const group of logGroups(template)) expect(group.KmsKeyId).toEqual({ 'Fn::GetAtt': [logicalId(key), 'Arn'] });
    const statements = resourceProperties(template, logicalId(key)).KeyPolicy.Statement;
    expect(statements.filter((s: any) => JSON.stringify(s.Principal).includes('logs.'))).toHaveLength(1);
    expect(statements.map((s: any) => s.Sid)).not.toContain('GrantsOnlyForAwsResources');
  });
});

describe('ModerationJob log groups', () => {
  const JOB_LOG_GROUPS = ['IsComplete/LogGroup', 'OnEvent/LogGroup', 'ProviderLogs'];

  test('are encrypted with the pipeline\'s key, named under a prefix of the job, which the key policy names', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Stack');
    const pipeline = new ModerationPipeline(stack, 'Pipeline');

    // WHEN
    const job = new ModerationJob(stack, 'Job', { pipeline, manifestBucket: pipeline.inputBucket, manifestKey: 'deploy/batch.jsonl', waitForCompletion: true });

    // THEN
    const template = Template.fromStack(stack);
    const prefix = ['/aws/vendedlogs/moderation/', STACK_UUID, `/${job.node.addr}/`];
    const jobGroups = Object.entries<any>(template.findResources('AWS::Logs::LogGroup'))
      .filter(([id]) => id.startsWith('Job'))
      .map(([, group]) => group.Properties);
    expect(jobGroups.map((group) => group.LogGroupName).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))))
      .toEqual(JOB_LOG_GROUPS.map((below) => ({ 'Fn::Join': ['', [...prefix.slice(0, 2), `${prefix[2]}${below}`]] })));
    for (const group of jobGroups) expect(group.KmsKeyId).toEqual({ 'Fn::GetAtt': [logicalId(pipeline.encryptionKey), 'Arn'] });
    const logsStatements = resourceProperties(template, logicalId(pipeline.encryptionKey)).KeyPolicy.Statement
      .filter((s: any) => JSON.stringify(s.Principal).includes('logs.'));
    expect(logsStatements).toHaveLength(2);
    expect(JSON.stringify(logsStatements)).toContain(`/${job.node.addr}/*`);
    Annotations.fromStack(stack).hasNoWarning('/Stack/Job', Match.anyValue());
  });

  test('keep CloudWatch Logs\' own encryption, with a warning, when the job has no key of its stack', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Stack');
    const pipeline = new ModerationPipeline(stack, 'Pipeline', { encryptionKey: kms.Key.fromKeyArn(stack, 'Key', KEY_ARN) });

    // WHEN
    new ModerationJob(stack, 'Job', { pipeline, manifestBucket: pipeline.inputBucket, manifestKey: 'deploy/batch.jsonl' });

    // THEN
    const template = Template.fromStack(stack);
    for (const [id, group] of Object.entries<any>(template.findResources('AWS::Logs::LogGroup'))) {
      if (id.startsWith('Job')) expect(group.Properties.KmsKeyId).toBeUndefined();
    }
    Annotations.fromStack(stack).hasWarning('/Stack/Job', Match.stringLikeRegexp('ack: cdk-bulk-moderation:jobLogGroupsNotEncrypted'));
  });
});
