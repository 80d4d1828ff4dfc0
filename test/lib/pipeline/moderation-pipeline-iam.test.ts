import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  SynthesizedPipeline,
  arnOf,
  asArray,
  logicalId,
  resolve,
  roleStatements,
  statementsGranting,
  synthPipeline,
} from '../../support/synth-helpers';

const ADAPTER_ARN = 'arn:aws:rekognition:eu-west-1:123456789012:project/moderation/version/v1/1700000000000';

/** Every action the statements allow, with the resources they allow it on. */
function allowedActions(statements: any[]): Array<{ action: string; resources: unknown[]; condition?: unknown }> {
  return statements
    .filter((s) => s.Effect === 'Allow')
    .flatMap((s) => asArray<string>(s.Action).map((action) => ({ action, resources: asArray(s.Resource), condition: s.Condition })));
}

describe('ModerationPipeline trigger role (least privilege)', () => {
  let synthesized: SynthesizedPipeline;
  let template: Template;
  let statements: any[];
  let ids: { key: string; input: string; output: string; dlq: string; queue: string; backlog: string };

  beforeAll(() => {
    // GIVEN / WHEN
    synthesized = synthPipeline();
    template = synthesized.template;
    const { pipeline } = synthesized;
    statements = roleStatements(template, pipeline.triggerFunction.role!);
    ids = {
      key: logicalId(pipeline.encryptionKey),
      input: logicalId(pipeline.inputBucket),
      output: logicalId(pipeline.outputBucket),
      dlq: logicalId(pipeline.deadLetterQueue),
      queue: logicalId(pipeline.manifestQueue),
      backlog: logicalId(pipeline.backlogQueue),
    };
  });

  test('allows rekognition:StartMediaAnalysisJob on "*" (the action has no resource type without an adapter)', () => {
    const grants = statementsGranting(statements, 'rekognition:StartMediaAnalysisJob');
    expect(grants).toHaveLength(1);
    expect(grants[0].Resource).toBe('*');
    expect(grants[0].Condition).toBeUndefined();
  });

  test('limits "*" resources to rekognition:StartMediaAnalysisJob and ListMediaAnalysisJobs (neither has a resource type to name)', () => {
    const onStar = allowedActions(statements).filter((a) => a.resources.includes('*')).map((a) => a.action);
    expect(onStar.sort()).toEqual(['rekognition:ListMediaAnalysisJobs', 'rekognition:StartMediaAnalysisJob']);
  });

  test('reads objects (and object versions) of the input bucket', () => {
    const reads = statementsGranting(statements, 's3:GetObject');
    expect(reads).toEqual([expect.objectContaining({
      Action: ['s3:GetObject', 's3:GetObjectVersion'],
      Resource: { 'Fn::Join': ['', [arnOf(ids.input), '/*']] },
    })]);
  });

  test('writes objects only under the output prefix of the output bucket', () => {
    const writes = statementsGranting(statements, 's3:PutObject');
    expect(writes).toHaveLength(1);
    expect(writes[0].Resource).toEqual({ 'Fn::Join': ['', [arnOf(ids.output), '/results/*']] });
  });

  test('cannot read the output bucket, delete objects or change bucket settings', () => {
    const s3Actions = allowedActions(statements).filter((a) => a.action.startsWith('s3:'));
    expect(s3Actions.map((a) => a.action).sort()).toEqual(['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject']);
    for (const read of s3Actions.filter((a) => a.action.startsWith('s3:Get'))) {
      expect(JSON.stringify(read.resources)).not.toContain(ids.output);
    }
  });

  test('uses the construct key for the jobs (Decrypt, DescribeKey, GenerateDataKey)', () => {
    const grants = statementsGranting(statements, 'kms:GenerateDataKey');
    expect(grants).toEqual([expect.objectContaining({
      Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKey'],
      Resource: arnOf(ids.key),
    })]);
  });

  test('lets Rekognition create grants on the key only for AWS resources', () => {
    const grants = statementsGranting(statements, 'kms:CreateGrant');
    expect(grants).toEqual([expect.objectContaining({
      Action: 'kms:CreateGrant',
      Resource: arnOf(ids.key),
      Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    })]);
  });

  test('uses no other key than the construct key', () => {
    for (const grant of allowedActions(statements).filter((a) => a.action.startsWith('kms:'))) {
      expect(grant.resources).toEqual([arnOf(ids.key)]);
    }
  });

  test('sends messages only to the dead-letter queue, the backlog and (a backlog manifest that failed) the manifest queue', () => {
    const sends = statementsGranting(statements, 'sqs:SendMessage');
    expect(sends.map((statement) => statement.Resource)).toEqual([arnOf(ids.dlq), arnOf(ids.backlog), arnOf(ids.queue)]);
  });

  test('works the backlog queue (receive, delete, hide, count) and no other queue that way', () => {
    const [backlog] = statementsGranting(statements, 'sqs:DeleteMessage').filter((statement) => statement.Sid === 'WorkTheBacklog');
    expect(backlog).toEqual(expect.objectContaining({
      Action: ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
      Resource: arnOf(ids.backlog),
    }));
  });

  test('grants no s3, kms or sqs wildcard action, and no kms:ReEncrypt', () => {
    const actions = allowedActions(statements).map((a) => a.action);
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.filter((action) => /^(s3|kms|sqs):.*\*/.test(action))).toEqual([]);
    expect(actions.filter((action) => action.startsWith('kms:ReEncrypt'))).toEqual([]);
    expect(actions).not.toContain('*');
  });

  test('has no AWS managed policy and no inline policy beyond its default policy', () => {
    const role = template.toJSON().Resources[logicalId(synthesized.pipeline.triggerFunction.role!)].Properties;
    expect(role.ManagedPolicyArns).toBeUndefined();
    expect(role.Policies).toBeUndefined();
  });

  test('writes logs only to its own log group', () => {
    const logGroupId = template.toJSON().Resources[logicalId(synthesized.pipeline.triggerFunction)].Properties.LoggingConfig.LogGroup.Ref;
    const logActions = allowedActions(statements).filter((a) => a.action.startsWith('logs:'));
    expect(logActions.length).toBeGreaterThan(0);
    for (const grant of logActions) {
      expect(grant.resources).toEqual([arnOf(logGroupId)]);
    }
  });
});

describe('ModerationPipeline trigger role with an adapter', () => {
  test('allows rekognition:StartMediaAnalysisJob on exactly the adapter ARN, and on "*" only ListMediaAnalysisJobs', () => {
    // GIVEN / WHEN
    const { pipeline, template } = synthPipeline({ projectVersion: ADAPTER_ARN });

    // THEN
    const statements = roleStatements(template, pipeline.triggerFunction.role!);
    const grants = statementsGranting(statements, 'rekognition:StartMediaAnalysisJob');
    expect(grants).toHaveLength(1);
    expect(grants[0].Resource).toBe(ADAPTER_ARN);
    expect(allowedActions(statements).filter((a) => a.resources.includes('*')).map((a) => a.action)).toEqual(['rekognition:ListMediaAnalysisJobs']);
  });
});

describe('ModerationPipeline trigger role with imageBuckets', () => {
  test('reads objects of every image bucket as well as the input bucket, and nothing more', () => {
    // GIVEN
    let images: s3.IBucket[] = [];

    // WHEN
    const { pipeline, template, stack } = synthPipeline((scope) => {
      images = [
        s3.Bucket.fromBucketName(scope, 'Images', 'acme-images'),
        new s3.Bucket(scope, 'MoreImages'),
      ];
      return { imageBuckets: images };
    });

    // THEN
    const statements = roleStatements(template, pipeline.triggerFunction.role!);
    const reads = statementsGranting(statements, 's3:GetObject');
    expect(reads).toHaveLength(1);
    expect(reads[0].Action).toEqual(['s3:GetObject', 's3:GetObjectVersion']);
    expect(asArray(reads[0].Resource)).toEqual([
      resolve(stack, pipeline.inputBucket.arnForObjects('*')),
      resolve(stack, images[0].arnForObjects('*')),
      resolve(stack, images[1].arnForObjects('*')),
    ]);
    // The image buckets are read, never written.
    const writes = statementsGranting(statements, 's3:PutObject');
    expect(JSON.stringify(writes)).not.toContain('acme-images');
    expect(JSON.stringify(writes)).not.toContain(logicalId(images[1]));
    expect(pipeline.imageBuckets).toEqual([pipeline.inputBucket, ...images]);
  });
});

describe('ModerationPipeline trigger role with a custom output prefix', () => {
  test('writes objects only under that prefix', () => {
    // GIVEN / WHEN
    const { pipeline, template } = synthPipeline({ outputPrefix: 'moderated/2026/' });

    // THEN
    const writes = statementsGranting(roleStatements(template, pipeline.triggerFunction.role!), 's3:PutObject');
    expect(writes).toHaveLength(1);
    expect(writes[0].Resource).toEqual({ 'Fn::Join': ['', [arnOf(logicalId(pipeline.outputBucket)), '/moderated/2026/*']] });
  });
});
