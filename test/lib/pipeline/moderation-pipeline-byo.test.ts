import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { ModerationPipeline } from '../../../lib';
import {
  arnOf,
  logicalId,
  queueNotifications,
  resolve,
  resourceProperties,
  roleStatements,
  statementsGranting,
} from '../../support/synth-helpers';

const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555';
const IMPORTED_KEY_WARNING = /\[ack: cdk-bulk-moderation:importedKeyPolicy\]/;

function newStack(): Stack {
  return new Stack(new App(), 'Stack');
}

/** The key-policy statements of `key` that name s3.amazonaws.com. */
function s3KeyStatements(template: Template, key: kms.IKey): any[] {
  return resourceProperties(template, logicalId(key)).KeyPolicy.Statement
    .filter((s: any) => JSON.stringify(s.Principal ?? {}).includes('s3.amazonaws.com'));
}

describe('ModerationPipeline with imported buckets and key', () => {
  let stack: Stack;
  let pipeline: ModerationPipeline;
  let template: Template;
  let input: s3.IBucket;
  let output: s3.IBucket;
  let key: kms.IKey;

  beforeAll(() => {
    // GIVEN
    stack = newStack();
    input = s3.Bucket.fromBucketName(stack, 'Input', 'acme-manifests');
    output = s3.Bucket.fromBucketName(stack, 'Output', 'acme-results');
    key = kms.Key.fromKeyArn(stack, 'Key', KEY_ARN);

    // WHEN
    pipeline = new ModerationPipeline(stack, 'Pipeline', { inputBucket: input, outputBucket: output, encryptionKey: key });
    template = Template.fromStack(stack);
  });

  test('creates no bucket (not even an access-logs bucket) and no key', () => {
    template.resourceCountIs('AWS::S3::Bucket', 0);
    template.resourceCountIs('AWS::S3::BucketPolicy', 0);
    template.resourceCountIs('AWS::KMS::Key', 0);
    expect(pipeline.accessLogsBucket).toBeUndefined();
  });

  test('exposes the buckets and the key it was given', () => {
    expect(pipeline.inputBucket).toBe(input);
    expect(pipeline.outputBucket).toBe(output);
    expect(pipeline.encryptionKey).toBe(key);
  });

  test('passes the given key to every job and encrypts its queues with it', () => {
    const variables = resourceProperties(template, logicalId(pipeline.triggerFunction)).Environment.Variables;
    expect(variables.KMS_KEY_ID).toBe(KEY_ARN);
    expect(variables.OUTPUT_BUCKET).toBe('acme-results');
    for (const queue of [pipeline.manifestQueue, pipeline.deadLetterQueue]) {
      expect(resourceProperties(template, logicalId(queue)).KmsMasterKeyId).toBe(KEY_ARN);
    }
  });

  test('configures the notifications on the given input bucket, leaving its other notifications alone', () => {
    const notifications = queueNotifications(template);
    expect(notifications.map((n) => n.bucket)).toEqual(['acme-manifests', 'acme-manifests']);
    template.hasResourceProperties('Custom::S3BucketNotifications', { BucketName: 'acme-manifests', Managed: false });
  });

  test('lets s3.amazonaws.com send to the queue only for the given input bucket in this account', () => {
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: logicalId(pipeline.manifestQueue) }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Principal: { Service: 's3.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Condition: {
            StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            ArnLike: { 'aws:SourceArn': resolve(stack, input.bucketArn) },
          },
        })]),
      },
    });
  });

  test('grants the trigger role read on the given input bucket, write on the given output prefix and use of the given key', () => {
    const statements = roleStatements(template, pipeline.triggerFunction.role!);
    expect(statementsGranting(statements, 's3:GetObject')[0].Resource).toEqual(resolve(stack, input.arnForObjects('*')));
    expect(statementsGranting(statements, 's3:PutObject')[0].Resource).toEqual(resolve(stack, output.arnForObjects('results/*')));
    expect(statementsGranting(statements, 'kms:GenerateDataKey')[0].Resource).toBe(KEY_ARN);
    expect(statementsGranting(statements, 'kms:CreateGrant')[0].Resource).toBe(KEY_ARN);
  });

  test('warns that the imported key policy must let S3 publish to the queue', () => {
    Annotations.fromStack(stack).hasWarning('/Stack/Pipeline', Match.stringLikeRegexp(IMPORTED_KEY_WARNING.source));
  });
});

describe('ModerationPipeline with buckets and a key of the same stack', () => {
  test('uses a new key of the stack without warning, adding the conditioned S3 statement to its policy', () => {
    // GIVEN
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');

    // WHEN
    const pipeline = new ModerationPipeline(stack, 'Pipeline', { encryptionKey: key });

    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::KMS::Key', 1);
    expect(pipeline.encryptionKey).toBe(key);
    expect(resourceProperties(template, logicalId(pipeline.triggerFunction)).Environment.Variables.KMS_KEY_ID).toEqual(arnOf(logicalId(key)));
    const [statement] = s3KeyStatements(template, key);
    expect(statement.Action).toEqual(['kms:GenerateDataKey*', 'kms:Decrypt']);
    expect(Object.keys(statement.Condition)).toEqual(['StringEquals']);
    expect(Object.keys(statement.Condition.StringEquals).sort()).toEqual(['aws:SourceAccount', 'kms:EncryptionContext:aws:sqs:arn']);
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp(IMPORTED_KEY_WARNING.source));
  });

  test('uses a new input bucket of the stack: creates only the output and access-logs buckets', () => {
    // GIVEN
    const stack = newStack();
    const input = new s3.Bucket(stack, 'Input', { enforceSSL: true });

    // WHEN
    const pipeline = new ModerationPipeline(stack, 'Pipeline', { inputBucket: input });

    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::S3::Bucket', 3); // Input, output, access logs
    expect(pipeline.inputBucket).toBe(input);
    expect(pipeline.accessLogsBucket).toBeDefined();
    // The given bucket keeps its own settings: no encryption or logging imposed on it.
    expect(resourceProperties(template, logicalId(input)).LoggingConfiguration).toBeUndefined();
    // The queue policy names the given bucket by its real ARN (the key policy names the queue).
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: logicalId(pipeline.manifestQueue) }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
        Principal: { Service: 's3.amazonaws.com' },
        Condition: Match.objectLike({ ArnLike: { 'aws:SourceArn': arnOf(logicalId(input)) } }),
      })]) },
    });
    expect(queueNotifications(template).map((n) => n.bucket)).toEqual([{ Ref: logicalId(input) }, { Ref: logicalId(input) }]);
  });

  test('uses a new output bucket of the stack: creates only the input and access-logs buckets', () => {
    // GIVEN
    const stack = newStack();
    const output = new s3.Bucket(stack, 'Output');

    // WHEN
    const pipeline = new ModerationPipeline(stack, 'Pipeline', { outputBucket: output });

    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::S3::Bucket', 3);
    expect(pipeline.outputBucket).toBe(output);
    expect(resourceProperties(template, logicalId(pipeline.triggerFunction)).Environment.Variables.OUTPUT_BUCKET)
      .toEqual({ Ref: logicalId(output) });
    expect(statementsGranting(roleStatements(template, pipeline.triggerFunction.role!), 's3:PutObject')[0].Resource)
      .toEqual({ 'Fn::Join': ['', [arnOf(logicalId(output)), '/results/*']] });
  });

  test('uses one bucket for input and output when the prefixes do not overlap', () => {
    // GIVEN
    const stack = newStack();
    const bucket = new s3.Bucket(stack, 'Bucket');

    // WHEN
    const pipeline = new ModerationPipeline(stack, 'Pipeline', { inputBucket: bucket, outputBucket: bucket });

    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::S3::Bucket', 1);
    expect(pipeline.accessLogsBucket).toBeUndefined();
    expect(queueNotifications(template).map((n) => n.prefix)).toEqual(['manifests/', 'manifests/']);
    expect(statementsGranting(roleStatements(template, pipeline.triggerFunction.role!), 's3:PutObject')[0].Resource)
      .toEqual({ 'Fn::Join': ['', [arnOf(logicalId(bucket)), '/results/*']] });
  });

  // A given bucket encrypted with the given key must not be named by reference in the key policy:
  // the key would depend on the bucket and the bucket on the key.
  test('uses a new bucket encrypted with a new key of the same stack without a dependency cycle', () => {
    // GIVEN
    const stack = newStack();
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const input = new s3.Bucket(stack, 'Input', { encryption: s3.BucketEncryption.KMS, encryptionKey: key });

    // WHEN
    new ModerationPipeline(stack, 'Pipeline', { inputBucket: input, encryptionKey: key });

    // THEN (Template.fromStack checks the template for dependency cycles)
    const report = jest.spyOn(console, 'error').mockImplementation(() => undefined); // the cycle is also reported there
    try {
      expect(() => Template.fromStack(stack)).not.toThrow();
    } finally {
      report.mockRestore();
    }
    // and the key statement for S3 keeps both conditions: the account and the queue (no warning needed)
    Template.fromStack(stack).hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({
        Principal: { Service: 's3.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': Match.anyValue(), 'kms:EncryptionContext:aws:sqs:arn': Match.anyValue() } },
      })]) },
    });
    Annotations.fromStack(stack).hasNoWarning('/Stack/Pipeline', Match.anyValue());
  });

  test('sends access logs of the buckets it creates to a given access-logs bucket, creating none', () => {
    // GIVEN
    const stack = newStack();
    const accessLogs = new s3.Bucket(stack, 'AccessLogs', { encryption: s3.BucketEncryption.S3_MANAGED });

    // WHEN
    const pipeline = new ModerationPipeline(stack, 'Pipeline', { accessLogsBucket: accessLogs });

    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::S3::Bucket', 3); // AccessLogs, input, output
    expect(pipeline.accessLogsBucket).toBe(accessLogs);
    for (const [bucket, prefix] of [[pipeline.inputBucket, 'input-bucket/'], [pipeline.outputBucket, 'output-bucket/']] as const) {
      expect(resourceProperties(template, logicalId(bucket)).LoggingConfiguration)
        .toEqual({ DestinationBucketName: { Ref: logicalId(accessLogs) }, LogFilePrefix: prefix });
    }
  });
});

describe('ModerationPipeline readonly properties', () => {
  test('expose what the construct created', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    const pipeline = new ModerationPipeline(stack, 'Pipeline');

    // THEN
    expect(pipeline.inputBucket).toBeInstanceOf(s3.Bucket);
    expect(pipeline.outputBucket).toBeInstanceOf(s3.Bucket);
    expect(pipeline.accessLogsBucket).toBeInstanceOf(s3.Bucket);
    expect(pipeline.encryptionKey).toBeInstanceOf(kms.Key);
    expect(pipeline.manifestQueue).toBeInstanceOf(sqs.Queue);
    expect(pipeline.deadLetterQueue).toBeInstanceOf(sqs.Queue);
    expect(pipeline.triggerFunction).toBeInstanceOf(lambda.Function);
    expect((pipeline.manifestQueue as sqs.Queue).deadLetterQueue?.queue).toBe(pipeline.deadLetterQueue);
    expect(pipeline.manifestQueue.encryptionMasterKey).toBe(pipeline.encryptionKey);
    expect(pipeline.manifestPrefix).toBe('manifests/');
    expect(pipeline.outputPrefix).toBe('results/');
    expect(new Set([pipeline.inputBucket, pipeline.outputBucket, pipeline.accessLogsBucket]).size).toBe(3);
  });
});

describe('ModerationPipeline.grantWriteManifests', () => {
  test('lets a role put objects under the manifest prefix only, encrypting with the pipeline key', () => {
    // GIVEN
    const stack = newStack();
    const pipeline = new ModerationPipeline(stack, 'Pipeline', { manifestPrefix: 'incoming/' });
    const uploader = new iam.Role(stack, 'Uploader', { assumedBy: new iam.AccountRootPrincipal() });

    // WHEN
    const grant = pipeline.grantWriteManifests(uploader);

    // THEN
    expect(grant.success).toBe(true);
    const template = Template.fromStack(stack);
    const statements = roleStatements(template, uploader);
    const keyId = logicalId(pipeline.encryptionKey);
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: { 'Fn::Join': ['', [arnOf(logicalId(pipeline.inputBucket)), '/incoming/*']] },
      }),
      expect.objectContaining({
        Effect: 'Allow',
        Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
        Resource: arnOf(keyId),
      }),
    ]));
    // Nothing else: no read, no delete, no other prefix, no wildcard key actions.
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions.sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey', 's3:PutObject']);
  });

  test('works with an imported input bucket and key', () => {
    // GIVEN
    const stack = newStack();
    const input = s3.Bucket.fromBucketName(stack, 'Input', 'acme-manifests');
    const pipeline = new ModerationPipeline(stack, 'Pipeline', { inputBucket: input, encryptionKey: kms.Key.fromKeyArn(stack, 'Key', KEY_ARN) });
    const uploader = new iam.Role(stack, 'Uploader', { assumedBy: new iam.AccountRootPrincipal() });

    // WHEN
    pipeline.grantWriteManifests(uploader);

    // THEN
    const statements = roleStatements(Template.fromStack(stack), uploader);
    expect(statementsGranting(statements, 's3:PutObject')[0].Resource).toEqual(resolve(stack, input.arnForObjects('manifests/*')));
    expect(statementsGranting(statements, 'kms:GenerateDataKey')[0].Resource).toBe(KEY_ARN);
  });
});
