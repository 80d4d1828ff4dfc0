import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ImageIngestion, ModerationPipeline } from '../../../lib';
import { asArray, logicalId, resolve, roleStatements, synthPipeline } from '../../support/synth-helpers';

describe('ImageIngestion.fromPrefix', () => {
  test('defaults: .jpg .jpeg .png, 10,000 images, 5 minutes, the input bucket', () => {
    const ingestion = ImageIngestion.fromPrefix('uploads/');
    expect(ingestion).toMatchObject({ prefix: 'uploads/', suffixes: ['.jpg', '.jpeg', '.png'], maxImagesPerManifest: 10_000, bucket: undefined });
    expect(ingestion.maxWait.toSeconds()).toBe(300);
  });
});

describe('ModerationPipeline with imageIngestion', () => {
  test('S3 events of the prefix (no suffix filter) go to a KMS-encrypted, TLS-only queue with a dead-letter queue', () => {
    // GIVEN / WHEN
    const { pipeline, template } = synthPipeline({ imageIngestion: ImageIngestion.fromPrefix('uploads/') });

    // THEN
    const queue = pipeline.imageIngestionQueue!;
    template.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: resolve(pipeline, pipeline.encryptionKey.keyArn),
      VisibilityTimeout: 1800,
      RedrivePolicy: { deadLetterTargetArn: resolve(pipeline, pipeline.imageIngestionDeadLetterQueue!.queueArn), maxReceiveCount: 5 },
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: logicalId(queue) }],
      PolicyDocument: { Statement: Match.arrayWith([
        Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        Match.objectLike({ Sid: 'AllowS3ToSendImageUploadEvents', Condition: Match.objectLike({ StringEquals: Match.anyValue(), ArnLike: Match.anyValue() }) }),
      ]) },
    });
    const notifications = template.findResources('Custom::S3BucketNotifications');
    const configurations = Object.values<any>(notifications).flatMap((resource) => resource.Properties.NotificationConfiguration.QueueConfigurations);
    const ingest = configurations.filter((configuration) => JSON.stringify(configuration.QueueArn) === JSON.stringify(resolve(pipeline, queue.queueArn)));
    expect(ingest).toEqual([{ Events: ['s3:ObjectCreated:*'], Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'uploads/' }] } }, QueueArn: expect.anything() }]);
    // The manifest notifications are still there, one per suffix.
    expect(configurations).toHaveLength(3);
  });

  test('the batcher: event source of up to 10,000 records within maxWait, environment from the contract', () => {
    // GIVEN / WHEN
    const { pipeline, template } = synthPipeline({
      manifestPrefix: 'incoming/',
      imageIngestion: ImageIngestion.fromPrefix('photos/', { maxImagesPerManifest: 2_000, maxWait: Duration.minutes(2), suffixes: ['.jpg', '.webp'] }),
    });

    // THEN
    const fn = pipeline.imageIngestionFunction!;
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(fn) },
      EventSourceArn: resolve(pipeline, pipeline.imageIngestionQueue!.queueArn),
      BatchSize: 2_000,
      MaximumBatchingWindowInSeconds: 120,
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Timeout: 300,
      Environment: { Variables: {
        QUEUE_URL: resolve(pipeline, pipeline.imageIngestionQueue!.queueUrl),
        IMAGE_BUCKET: resolve(pipeline, pipeline.inputBucket.bucketName),
        IMAGE_PREFIX: 'photos/',
        IMAGE_SUFFIXES: '.jpg,.webp',
        MANIFEST_BUCKET: resolve(pipeline, pipeline.inputBucket.bucketName),
        MANIFEST_FOLDER: 'incoming/ingest/',
        MANIFEST_SUFFIX: '.jsonl',
        MAX_IMAGES_PER_MANIFEST: '2000',
      } },
    });
    // Its log group is encrypted with the pipeline's key (createLogGroup).
    const logGroups = Object.entries<any>(template.findResources('AWS::Logs::LogGroup')).filter(([id]) => id.startsWith('PipelineImageIngestionHandlerLogGroup'));
    expect(logGroups.map(([, resource]) => resource.Properties.KmsKeyId)).toEqual([resolve(pipeline, pipeline.encryptionKey.keyArn)]);
  });

  test('least privilege: HeadObject only under the ingest prefix, PutObject only in the ingest folder of the manifest prefix, GetObject only of its claims', () => {
    // GIVEN / WHEN
    const { pipeline, template } = synthPipeline({ imageIngestion: ImageIngestion.fromPrefix('uploads/') });

    // THEN
    const statements = roleStatements(template, pipeline.imageIngestionFunction!.role!);
    const s3Statements = statements.filter((statement) => asArray(statement.Action).some((action: string) => action.startsWith('s3:')));
    expect(s3Statements).toEqual([
      expect.objectContaining({ Sid: 'CheckUploadedImages', Action: 's3:GetObject', Resource: resolve(pipeline, pipeline.inputBucket.arnForObjects('uploads/*')) }),
      expect.objectContaining({ Sid: 'WriteIngestManifests', Action: 's3:PutObject', Resource: resolve(pipeline, pipeline.inputBucket.arnForObjects('manifests/ingest/*')) }),
      expect.objectContaining({ Sid: 'ReadImageClaims', Action: 's3:GetObject', Resource: resolve(pipeline, pipeline.inputBucket.arnForObjects('manifests/ingest/claims/*')) }),
    ]);
    expect(statements.flatMap((statement) => asArray(statement.Action))).not.toContain('s3:ListBucket');
  });

  test('claims expire after 15 days on the input bucket the pipeline owns (past SQS\'s 14-day retention)', () => {
    const { pipeline, template } = synthPipeline({ imageIngestion: ImageIngestion.fromPrefix('uploads/') });
    const rules = template.toJSON().Resources[logicalId(pipeline.inputBucket)].Properties.LifecycleConfiguration.Rules;
    expect(rules).toContainEqual(expect.objectContaining({
      Id: 'ExpireImageClaims', Prefix: 'manifests/ingest/claims/', ExpirationInDays: 15, NoncurrentVersionExpiration: { NoncurrentDays: 1 }, Status: 'Enabled',
    }));
  });

  test('the dead-letter queue alarm notifies the alarm topic and is among the alarms', () => {
    const { pipeline, template } = synthPipeline({ imageIngestion: ImageIngestion.fromPrefix('uploads/') });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Dimensions: [{ Name: 'QueueName', Value: resolve(pipeline, pipeline.imageIngestionDeadLetterQueue!.queueName) }],
      AlarmActions: [resolve(pipeline, pipeline.alarmTopic!.topicArn)],
    });
    expect(pipeline.alarms).toHaveLength(7);
  });

  test('the trigger may read the images of another ingest bucket: it is among imageBuckets and IMAGE_BUCKETS', () => {
    // GIVEN / WHEN
    let photos!: s3.Bucket;
    const { pipeline, template } = synthPipeline((stack) => {
      photos = new s3.Bucket(stack, 'Photos');
      return { imageIngestion: ImageIngestion.fromPrefix('', { bucket: photos }) };
    });

    // THEN
    expect(pipeline.imageBuckets).toEqual([pipeline.inputBucket, photos]);
    const triggerEnv = template.toJSON().Resources[logicalId(pipeline.triggerFunction)].Properties.Environment.Variables;
    expect(JSON.stringify(triggerEnv.IMAGE_BUCKETS)).toContain(JSON.stringify({ Ref: logicalId(photos) }));
    // A bucket of the stack gets the notification itself, with no prefix filter for ''.
    const configurations = Object.values<any>(template.findResources('Custom::S3BucketNotifications'))
      .filter((resource) => JSON.stringify(resource.Properties.BucketName).includes('Photos'))
      .flatMap((resource) => resource.Properties.NotificationConfiguration.QueueConfigurations);
    expect(configurations).toEqual([{ Events: ['s3:ObjectCreated:*'], QueueArn: expect.anything() }]);
  });

  test('an imported image bucket gets no notification but a warning with the exact one to add, and the queue policy for it', () => {
    // GIVEN / WHEN
    const stack = new Stack(new App(), 'Stack');
    const pipeline = new ModerationPipeline(stack, 'Pipeline', {
      imageIngestion: ImageIngestion.fromPrefix('uploads/', { bucket: s3.Bucket.fromBucketName(stack, 'Photos', 'acme-photos') }),
    });
    const template = Template.fromStack(stack);

    // THEN
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('imageBucketNotification'));
    expect(warnings).toHaveLength(1);
    const text = JSON.stringify(warnings[0].entry.data);
    expect(text).toContain("bucket 'acme-photos'");
    expect(text).toContain('\\"Events\\":[\\"s3:ObjectCreated:*\\"]');
    expect(text).toContain('\\"Name\\":\\"prefix\\",\\"Value\\":\\"uploads/\\"');
    template.hasOutput('*', { Value: resolve(pipeline, pipeline.imageIngestionQueue!.queueArn) });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
        Sid: 'AllowS3ToSendImageUploadEvents',
        Condition: Match.objectLike({ ArnLike: { 'aws:SourceArn': Match.anyValue() } }),
      })]) },
    });
    const notified = Object.values<any>(template.findResources('Custom::S3BucketNotifications'))
      .flatMap((resource) => resource.Properties.NotificationConfiguration.QueueConfigurations ?? []);
    expect(notified).toHaveLength(2);
  });

  test('passes the AWS Solutions checks with every finding acknowledged', () => {
    // GIVEN
    const app = new App();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const stack = new Stack(app, 'Ingest');
    new ModerationPipeline(stack, 'Pipeline', { imageIngestion: ImageIngestion.fromPrefix('uploads/') });
    const other = new Stack(app, 'IngestOtherBucket');
    new ModerationPipeline(other, 'Pipeline', { imageIngestion: ImageIngestion.fromPrefix('uploads/', { bucket: s3.Bucket.fromBucketName(other, 'B', 'acme-photos') }) });

    // WHEN / THEN
    expect(() => app.synth()).not.toThrow();
  });
});
