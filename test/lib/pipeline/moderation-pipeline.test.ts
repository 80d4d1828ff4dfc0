import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ModerationPipeline } from '../../../lib';
import {
  SynthesizedPipeline,
  arnOf,
  bucketPolicyStatements,
  logicalId,
  queueNotifications,
  resourceProperties,
  stringParts,
  synthPipeline,
} from '../../support/synth-helpers';

const ADAPTER_ARN = 'arn:aws:rekognition:eu-west-1:123456789012:project/moderation/version/v1/1700000000000';

/** The statements of a bucket policy that deny plain HTTP and TLS below 1.2, for every request. */
function expectTlsOnly(statements: any[]): void {
  expect(statements).toEqual(expect.arrayContaining([
    expect.objectContaining({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 's3:*',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    }),
    expect.objectContaining({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 's3:*',
      Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
    }),
  ]));
}

describe('ModerationPipeline with default props', () => {
  let synthesized: SynthesizedPipeline;
  let template: Template;
  let ids: {
    key: string; input: string; output: string; logs: string; queue: string; dlq: string; backlog: string; fn: string; role: string;
  };

  beforeAll(() => {
    // GIVEN / WHEN
    synthesized = synthPipeline();
    template = synthesized.template;
    const { pipeline } = synthesized;
    ids = {
      key: logicalId(pipeline.encryptionKey),
      input: logicalId(pipeline.inputBucket),
      output: logicalId(pipeline.outputBucket),
      logs: logicalId(pipeline.accessLogsBucket!),
      queue: logicalId(pipeline.manifestQueue),
      dlq: logicalId(pipeline.deadLetterQueue),
      backlog: logicalId(pipeline.backlogQueue),
      fn: logicalId(pipeline.triggerFunction),
      role: logicalId(pipeline.triggerFunction.role!),
    };
  });

  describe('buckets', () => {
    test('creates an input, an output and an access-logs bucket', () => {
      template.resourceCountIs('AWS::S3::Bucket', 3);
      expect(new Set([ids.input, ids.output, ids.logs]).size).toBe(3);
    });

    test.each(['input', 'output'] as const)('encrypts the %s bucket with the construct key (SSE-KMS, bucket key)', (bucket) => {
      expect(resourceProperties(template, ids[bucket]).BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [{
          BucketKeyEnabled: true,
          ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: arnOf(ids.key) },
        }],
      });
    });

    test('encrypts the access-logs bucket with SSE-S3 (S3 cannot deliver access logs to SSE-KMS)', () => {
      expect(resourceProperties(template, ids.logs).BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      });
    });

    test.each(['input', 'output', 'logs'] as const)('blocks public access and enforces bucket-owner ownership on the %s bucket', (bucket) => {
      const properties = resourceProperties(template, ids[bucket]);
      expect(properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
      expect(properties.AccessControl).toBeUndefined();
    });

    test.each(['input', 'output'] as const)('versions the %s bucket and expires noncurrent versions', (bucket) => {
      const properties = resourceProperties(template, ids[bucket]);
      expect(properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
      expect(properties.LifecycleConfiguration.Rules).toEqual(expect.arrayContaining([
        expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: expect.any(Number) }, Status: 'Enabled' }),
      ]));
    });

    test.each([
      ['input', 'input-bucket/'],
      ['output', 'output-bucket/'],
    ] as const)('sends server access logs of the %s bucket to the access-logs bucket under %s', (bucket, prefix) => {
      expect(resourceProperties(template, ids[bucket]).LoggingConfiguration).toEqual({
        DestinationBucketName: { Ref: ids.logs },
        LogFilePrefix: prefix,
      });
    });

    test('does not log the access-logs bucket into itself', () => {
      expect(resourceProperties(template, ids.logs).LoggingConfiguration).toBeUndefined();
    });

    test.each(['input', 'output', 'logs'] as const)('allows only TLS 1.2 or later on the %s bucket', (bucket) => {
      const { pipeline } = synthesized;
      const construct = { input: pipeline.inputBucket, output: pipeline.outputBucket, logs: pipeline.accessLogsBucket! }[bucket];
      const statements = bucketPolicyStatements(template, construct);
      expectTlsOnly(statements);
      // Both denials cover the bucket and its objects.
      for (const statement of statements.filter((s) => s.Effect === 'Deny')) {
        expect(statement.Resource).toEqual([arnOf(ids[bucket]), { 'Fn::Join': ['', [arnOf(ids[bucket]), '/*']] }]);
      }
    });

    test.each([
      ['input', 'input-bucket/'],
      ['output', 'output-bucket/'],
    ] as const)('lets the S3 logging service write the %s bucket logs under %s, only for that bucket and account', (bucket, prefix) => {
      const statements = bucketPolicyStatements(template, synthesized.pipeline.accessLogsBucket!);
      expect(statements).toContainEqual({
        Effect: 'Allow',
        Principal: { Service: 'logging.s3.amazonaws.com' },
        Action: 's3:PutObject',
        Resource: { 'Fn::Join': ['', [arnOf(ids.logs), `/${prefix}*`]] },
        Condition: {
          ArnLike: { 'aws:SourceArn': arnOf(ids[bucket]) },
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        },
      });
    });

    test('grants the S3 logging service nothing but those two conditioned statements', () => {
      const statements = bucketPolicyStatements(template, synthesized.pipeline.accessLogsBucket!)
        .filter((s) => s.Effect === 'Allow');
      expect(statements).toHaveLength(2);
      for (const statement of statements) {
        expect(statement.Condition.ArnLike['aws:SourceArn']).toBeDefined();
        expect(statement.Condition.StringEquals['aws:SourceAccount']).toBeDefined();
      }
    });

    test('retains every bucket by default', () => {
      const buckets = template.findResources('AWS::S3::Bucket');
      for (const bucket of Object.values(buckets)) {
        expect(bucket).toEqual(expect.objectContaining({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' }));
      }
    });
  });

  describe('key', () => {
    test('is a customer-managed key with rotation, retained by default', () => {
      template.resourceCountIs('AWS::KMS::Key', 1);
      template.hasResource('AWS::KMS::Key', {
        Properties: Match.objectLike({ EnableKeyRotation: true }),
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
    });

    test('lets s3.amazonaws.com encrypt manifest events only for the manifest queue, in this account', () => {
      const statements: any[] = resourceProperties(template, ids.key).KeyPolicy.Statement;
      const s3Statements = statements.filter((s) => JSON.stringify(s.Principal ?? {}).includes('s3.amazonaws.com'));
      expect(s3Statements).toHaveLength(1);
      const [statement] = s3Statements;
      expect(statement).toEqual(expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 's3.amazonaws.com' },
        Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
      }));
      expect(Object.keys(statement.Condition)).toEqual(['StringEquals']);
      expect(Object.keys(statement.Condition.StringEquals).sort()).toEqual(['aws:SourceAccount', 'kms:EncryptionContext:aws:sqs:arn']);
      expect(statement.Condition.StringEquals['aws:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
    });

    test('names the manifest queue in the key policy by the ARN the queue gets (SQS\'s encryption context), without depending on it', () => {
      // The key policy cannot reference the queue (the queue references the key): the ARN is
      // built from the queue's physical name. It must be exactly that queue's ARN.
      const statement = resourceProperties(template, ids.key).KeyPolicy.Statement
        .find((s: any) => JSON.stringify(s.Principal ?? {}).includes('s3.amazonaws.com'));
      const queueName = resourceProperties(template, ids.queue).QueueName;
      expect(queueName).toBeDefined();
      expect(stringParts(statement.Condition.StringEquals['kms:EncryptionContext:aws:sqs:arn']))
        .toEqual(stringParts({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sqs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':', queueName]] }));
      const keyJson = JSON.stringify(resourceProperties(template, ids.key));
      expect(keyJson).not.toContain(ids.queue);
      expect(keyJson).not.toContain(ids.input);
    });

    test('gives the manifest queue a name SQS accepts (at most 80 of [A-Za-z0-9_-]), unique to the stack instance', () => {
      const parts = stringParts(resourceProperties(template, ids.queue).QueueName);
      expect(parts).toContainEqual({ 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] });
      const longest = parts.map((part) => (typeof part === 'string' ? part : '01234567-89ab-cdef-0123-456789abcdef')).join('');
      expect(longest).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    });

    test('leaves the input bucket\'s name to CloudFormation (it is retained: a fixed name would collide after cdk destroy)', () => {
      expect(resourceProperties(template, ids.input).BucketName).toBeUndefined();
    });
  });

  describe('queues', () => {
    test('creates the manifest queue, the backlog and their dead-letter queue, all encrypted with the construct key and kept 14 days', () => {
      template.resourceCountIs('AWS::SQS::Queue', 3);
      for (const id of [ids.queue, ids.backlog, ids.dlq]) {
        expect(resourceProperties(template, id)).toEqual(expect.objectContaining({
          KmsMasterKeyId: arnOf(ids.key),
          MessageRetentionPeriod: 14 * 24 * 3600,
        }));
      }
    });

    test('gives the manifest queue a visibility timeout of six times the trigger timeout (60 s)', () => {
      expect(resourceProperties(template, ids.queue).VisibilityTimeout).toBe(360);
    });

    test('moves a manifest event to the dead-letter queue after 100 receives', () => {
      expect(resourceProperties(template, ids.queue).RedrivePolicy).toEqual({
        deadLetterTargetArn: arnOf(ids.dlq),
        maxReceiveCount: 100,
      });
    });

    test('moves a backlog manifest to the dead-letter queue only after 1,000 receives (each a start that found no free slot)', () => {
      expect(resourceProperties(template, ids.backlog).RedrivePolicy).toEqual({
        deadLetterTargetArn: arnOf(ids.dlq),
        maxReceiveCount: 1000,
      });
    });

    test('gives the backlog no event source: only the trigger\'s looks take its messages', () => {
      const sources = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).map((mapping: any) => mapping.Properties.EventSourceArn);
      expect(sources).toEqual([arnOf(ids.queue)]);
    });

    test('wakes the trigger every minute with the backlog schedule\'s input (4 looks, 15 s apart), no retries', () => {
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(1 minute)',
        State: 'ENABLED',
        Targets: [Match.objectLike({
          Arn: arnOf(ids.fn),
          Input: JSON.stringify({ backlogLooks: 4, lookIntervalSeconds: 15 }),
          RetryPolicy: { MaximumEventAgeInSeconds: 60, MaximumRetryAttempts: 0 },
        })],
      });
    });

    test('tells the trigger where the backlog and the manifest queue are', () => {
      const variables = resourceProperties(template, ids.fn).Environment.Variables;
      expect(variables.BACKLOG_QUEUE_URL).toEqual({ Ref: ids.backlog });
      expect(variables.MANIFEST_QUEUE_URL).toEqual({ Ref: ids.queue });
    });

    test.each(['queue', 'backlog', 'dlq'] as const)('denies non-TLS access to the %s', (queue) => {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: ids[queue] }],
        PolicyDocument: {
          Statement: Match.arrayWith([{
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 'sqs:*',
            Resource: arnOf(ids[queue]),
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }]),
        },
      });
    });

    test('lets s3.amazonaws.com send to the manifest queue only for the input bucket in this account', () => {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: ids.queue }],
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 's3.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: arnOf(ids.queue),
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: { 'aws:SourceArn': arnOf(ids.input) },
            },
          })]),
        },
      });
    });

    test('lets only the manifest queue and the backlog redrive into the dead-letter queue', () => {
      const policy = resourceProperties(template, ids.dlq).RedriveAllowPolicy;
      expect(policy.redrivePermission).toBe('byQueue');
      expect(policy.sourceQueueArns).toHaveLength(2);
      [ids.queue, ids.backlog].forEach((id, index) => {
        const queueName = resourceProperties(template, id).QueueName;
        expect(stringParts(policy.sourceQueueArns[index]))
          .toEqual(stringParts({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sqs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':', queueName]] }));
      });
    });

    test('lets nobody but s3.amazonaws.com (with conditions) into the manifest queue policy', () => {
      const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy'))
        .filter((p: any) => p.Properties.Queues.some((q: any) => q.Ref === ids.queue));
      const allows = policies.flatMap((p: any) => p.Properties.PolicyDocument.Statement).filter((s: any) => s.Effect === 'Allow');
      expect(allows).toHaveLength(1);
      expect(allows[0].Condition).toBeDefined();
    });
  });

  describe('notifications', () => {
    test('sends s3:ObjectCreated:* events of the input bucket under manifests/ to the manifest queue, one per suffix', () => {
      expect(queueNotifications(template)).toEqual([
        {
          bucket: { Ref: ids.input },
          queueArn: arnOf(ids.queue),
          events: ['s3:ObjectCreated:*'],
          prefix: 'manifests/',
          suffix: '.jsonl',
          ruleNames: ['prefix', 'suffix'],
        },
        {
          bucket: { Ref: ids.input },
          queueArn: arnOf(ids.queue),
          events: ['s3:ObjectCreated:*'],
          prefix: 'manifests/',
          suffix: '.manifest',
          ruleNames: ['prefix', 'suffix'],
        },
      ]);
    });

    test('configures the notifications only after the queue policy lets S3 send', () => {
      const queuePolicyId = logicalId(synthesized.pipeline.manifestQueue.node.findChild('Policy'));
      template.hasResource('Custom::S3BucketNotifications', {
        DependsOn: Match.arrayWith([queuePolicyId]),
      });
    });
  });

  describe('trigger function', () => {
    test('runs the bundled trigger handler on nodejs24.x / arm64', () => {
      expect(resourceProperties(template, ids.fn)).toEqual(expect.objectContaining({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        Timeout: 60,
        Role: arnOf(ids.role),
        Code: expect.objectContaining({ S3Key: expect.stringMatching(/^[0-9a-f]{64}\.zip$/) }),
      }));
    });

    test('logs to its own log group, kept one year and retained', () => {
      const logGroup = resourceProperties(template, ids.fn).LoggingConfig.LogGroup;
      expect(logGroup).toEqual({ Ref: expect.any(String) });
      template.hasResource('AWS::Logs::LogGroup', {
        Properties: { RetentionInDays: 365 },
        DeletionPolicy: 'Retain',
      });
      expect(resourceProperties(template, logGroup.Ref).RetentionInDays).toBe(365);
    });

    test('gets the job settings and the dead-letter queue through its environment', () => {
      expect(resourceProperties(template, ids.fn).Environment.Variables).toEqual(expect.objectContaining({
        OUTPUT_BUCKET: { Ref: ids.output },
        OUTPUT_PREFIX: 'results/',
        KMS_KEY_ID: arnOf(ids.key),
        JOB_NAME_PREFIX: 'moderation-',
        DEAD_LETTER_QUEUE_URL: { Ref: ids.dlq },
        UNEXPECTED_ERROR_ATTEMPTS: '5',
      }));
    });

    test('sets neither MIN_CONFIDENCE nor PROJECT_VERSION when they are not given', () => {
      const variables = resourceProperties(template, ids.fn).Environment.Variables;
      expect(variables).not.toHaveProperty('MIN_CONFIDENCE');
      expect(variables).not.toHaveProperty('PROJECT_VERSION');
    });

    test('has a role assumed by Lambda only, with no AWS managed policy', () => {
      const role = resourceProperties(template, ids.role);
      expect(role.ManagedPolicyArns).toBeUndefined();
      expect(role.AssumeRolePolicyDocument.Statement).toEqual([
        expect.objectContaining({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'lambda.amazonaws.com' } }),
      ]);
    });

    test('consumes the manifest queue 5 at a time, at most 2 at once, reporting partial batch failures', () => {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: ids.fn },
        EventSourceArn: arnOf(ids.queue),
        BatchSize: 5,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 2 },
      });
    });
  });
});

describe('ModerationPipeline with custom props', () => {
  let synthesized: SynthesizedPipeline;
  let template: Template;
  let ids: { key: string; input: string; output: string; logs: string; queue: string; dlq: string; fn: string };

  beforeAll(() => {
    // GIVEN / WHEN
    synthesized = synthPipeline({
      manifestPrefix: 'incoming/',
      manifestSuffixes: ['.txt'],
      outputPrefix: 'moderated/',
      outputBucketVersioned: false,
      minConfidence: 0,
      projectVersion: ADAPTER_ARN,
      jobNamePrefix: 'acme.',
      removalPolicy: RemovalPolicy.DESTROY,
      triggerBatchSize: 10,
      triggerMaxConcurrency: 7,
      triggerTimeout: Duration.minutes(2),
      maxReceiveCount: 20,
      unexpectedErrorAttempts: 3,
      logRetention: logs.RetentionDays.ONE_MONTH,
    });
    template = synthesized.template;
    const { pipeline } = synthesized;
    ids = {
      key: logicalId(pipeline.encryptionKey),
      input: logicalId(pipeline.inputBucket),
      output: logicalId(pipeline.outputBucket),
      logs: logicalId(pipeline.accessLogsBucket!),
      queue: logicalId(pipeline.manifestQueue),
      dlq: logicalId(pipeline.deadLetterQueue),
      fn: logicalId(pipeline.triggerFunction),
    };
  });

  test('does not version the output bucket with outputBucketVersioned: false, but still versions the input bucket', () => {
    const output = resourceProperties(template, ids.output);
    expect(output.VersioningConfiguration).toBeUndefined();
    expect(JSON.stringify(output.LifecycleConfiguration ?? {})).not.toContain('Noncurrent');
    expect(resourceProperties(template, ids.input).VersioningConfiguration).toEqual({ Status: 'Enabled' });
  });

  test('keeps the output bucket encrypted, private and logged when unversioned', () => {
    const output = resourceProperties(template, ids.output);
    expect(output.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault)
      .toEqual({ SSEAlgorithm: 'aws:kms', KMSMasterKeyID: arnOf(ids.key) });
    expect(output.LoggingConfiguration).toEqual({ DestinationBucketName: { Ref: ids.logs }, LogFilePrefix: 'output-bucket/' });
  });

  test('deletes the buckets, the key and the log group with removalPolicy DESTROY', () => {
    for (const id of [ids.input, ids.output, ids.logs, ids.key]) {
      expect(template.toJSON().Resources[id]).toEqual(expect.objectContaining({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' }));
    }
    const logGroupId = resourceProperties(template, ids.fn).LoggingConfig.LogGroup.Ref;
    expect(template.toJSON().Resources[logGroupId]).toEqual(expect.objectContaining({ DeletionPolicy: 'Delete' }));
  });

  test('honours the custom manifest prefix and suffix', () => {
    expect(queueNotifications(template)).toEqual([expect.objectContaining({
      queueArn: arnOf(ids.queue),
      events: ['s3:ObjectCreated:*'],
      prefix: 'incoming/',
      suffix: '.txt',
    })]);
  });

  test('sets the visibility timeout to six times the custom trigger timeout (2 min -> 720 s)', () => {
    expect(resourceProperties(template, ids.fn).Timeout).toBe(120);
    expect(resourceProperties(template, ids.queue).VisibilityTimeout).toBe(720);
  });

  test('honours maxReceiveCount', () => {
    expect(resourceProperties(template, ids.queue).RedrivePolicy).toEqual({ deadLetterTargetArn: arnOf(ids.dlq), maxReceiveCount: 20 });
  });

  test('honours triggerBatchSize and triggerMaxConcurrency', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: ids.fn },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 7 },
    });
  });

  test('honours logRetention', () => {
    const logGroupId = resourceProperties(template, ids.fn).LoggingConfig.LogGroup.Ref;
    expect(resourceProperties(template, logGroupId).RetentionInDays).toBe(30);
  });

  test('passes the custom job settings through the environment (minConfidence 0 included)', () => {
    expect(resourceProperties(template, ids.fn).Environment.Variables).toEqual(expect.objectContaining({
      OUTPUT_PREFIX: 'moderated/',
      JOB_NAME_PREFIX: 'acme.',
      MIN_CONFIDENCE: '0',
      PROJECT_VERSION: ADAPTER_ARN,
      UNEXPECTED_ERROR_ATTEMPTS: '3',
    }));
  });

  test('exposes the custom prefixes', () => {
    expect(synthesized.pipeline.manifestPrefix).toBe('incoming/');
    expect(synthesized.pipeline.outputPrefix).toBe('moderated/');
  });
});

describe('ModerationPipeline warnings', () => {
  test('raises no warning with default props', () => {
    // GIVEN / WHEN
    const { stack } = synthPipeline();

    // THEN
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });
});

describe('ModerationPipeline twice in one stack', () => {
  test('gives each pipeline its own queue name, and each key policy names its own queue', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Stack');

    // WHEN
    const pipelines = [new ModerationPipeline(stack, 'A'), new ModerationPipeline(stack, 'B')];

    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::S3::Bucket', 6);
    const names = pipelines.map((p) => JSON.stringify(resourceProperties(template, logicalId(p.manifestQueue)).QueueName));
    expect(new Set(names).size).toBe(2);
    for (const pipeline of pipelines) {
      const queueName = resourceProperties(template, logicalId(pipeline.manifestQueue)).QueueName;
      const keyStatement = resourceProperties(template, logicalId(pipeline.encryptionKey)).KeyPolicy.Statement
        .find((s: any) => JSON.stringify(s.Principal ?? {}).includes('s3.amazonaws.com'));
      expect(stringParts(keyStatement.Condition.StringEquals['kms:EncryptionContext:aws:sqs:arn']))
        .toEqual(stringParts({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sqs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':', queueName]] }));
    }
  });
});

describe('ModerationPipeline notifications', () => {
  test('has no prefix filter rule with manifestPrefix \'\' (the whole bucket)', () => {
    // GIVEN / WHEN
    const { template } = synthPipeline({ manifestPrefix: '' });

    // THEN
    const notifications = queueNotifications(template);
    expect(notifications.map((n) => n.suffix)).toEqual(['.jsonl', '.manifest']);
    for (const notification of notifications) {
      expect(notification.ruleNames).toEqual(['suffix']);
    }
  });
});

describe('ModerationPipeline feature flags', () => {
  test('delivers access logs through a bucket policy even when the app turns serverAccessLogsUseBucketPolicy off', () => {
    // GIVEN an app whose flag would make S3 use the legacy LogDeliveryWrite ACL
    // (which BucketOwnerEnforced ownership rejects at deploy time)
    const app = new App({ context: { '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': false } });
    const stack = new Stack(app, 'Stack');

    // WHEN
    const pipeline = new ModerationPipeline(stack, 'Pipeline');

    // THEN
    const template = Template.fromStack(stack);
    const logsId = logicalId(pipeline.accessLogsBucket!);
    expect(resourceProperties(template, logsId).AccessControl).toBeUndefined();
    expect(bucketPolicyStatements(template, pipeline.accessLogsBucket!)).toContainEqual(expect.objectContaining({
      Principal: { Service: 'logging.s3.amazonaws.com' },
      Action: 's3:PutObject',
    }));
  });

  test('leaves the flag of the rest of the app alone', () => {
    // GIVEN
    const app = new App({ context: { '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': false } });
    const stack = new Stack(app, 'Stack');
    new ModerationPipeline(stack, 'Pipeline');

    // WHEN a bucket outside the construct logs to a bucket outside the construct
    const target = new s3.Bucket(stack, 'Target');
    new s3.Bucket(stack, 'Source', { serverAccessLogsBucket: target });

    // THEN the app's own setting still applies to them
    Template.fromStack(stack).hasResourceProperties('AWS::S3::Bucket', { AccessControl: 'LogDeliveryWrite' });
  });
});
