import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ModerationExampleStack } from '../../bin/moderation-example-stack';
import { logicalId, resourceProperties } from '../support/synth-helpers';

describe('ModerationExampleStack', () => {
  let stack: ModerationExampleStack;
  let template: Template;

  beforeAll(() => {
    // GIVEN / WHEN (a plain app, as `cdk synth` without context gives)
    stack = new ModerationExampleStack(new App(), 'ModerationExample');
    template = Template.fromStack(stack);
  });

  test('matches the snapshot (asset hashes and aws-cdk-lib inline code normalised)', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });

  test('outputs the input bucket, the manifest prefix, the output bucket and the tracking workflow', () => {
    const { pipeline } = stack;
    template.hasOutput('InputBucketName', { Value: { Ref: logicalId(pipeline.inputBucket) } });
    template.hasOutput('ManifestPrefix', { Value: 'manifests/' });
    template.hasOutput('OutputBucketName', { Value: { Ref: logicalId(pipeline.outputBucket) } });
    template.hasOutput('TrackingStateMachine', { Value: { Ref: logicalId(pipeline.trackingStateMachine) } });
  });

  test('moderates with a minimum confidence of 60', () => {
    expect(resourceProperties(template, logicalId(stack.pipeline.triggerFunction)).Environment.Variables.MIN_CONFIDENCE).toBe('60');
  });

  test('creates the pipeline buckets and key only, and no deploy-time job by default', () => {
    template.resourceCountIs('AWS::S3::Bucket', 3);
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.resourceCountIs('Custom::CDKBucketDeployment', 0);
    template.resourceCountIs('Custom::RekognitionModerationJob', 0);
    expect(stack.sampleJob).toBeUndefined();
  });

  test('loads the trigger handler from a prebuilt asset (no bundling at synth)', () => {
    const code = resourceProperties(template, logicalId(stack.pipeline.triggerFunction)).Code;
    expect(code.S3Key).toMatch(/^[0-9a-f]{64}\.zip$/);
    expect(code.ZipFile).toBeUndefined();
  });
});

describe('ModerationExampleStack with sampleJob', () => {
  let stack: ModerationExampleStack;
  let template: Template;

  beforeAll(() => {
    // GIVEN / WHEN
    stack = new ModerationExampleStack(new App(), 'ModerationExample', { sampleJob: true });
    template = Template.fromStack(stack);
  });

  test('ships the sample data to the input bucket, encrypted with the pipeline key', () => {
    template.hasResourceProperties('Custom::CDKBucketDeployment', {
      DestinationBucketName: { Ref: logicalId(stack.pipeline.inputBucket) },
      SystemMetadata: { 'sse': 'aws:kms', 'sse-kms-key-id': { Ref: logicalId(stack.pipeline.encryptionKey) } },
      Prune: false,
    });
  });

  test('starts one job for the sample manifest and waits for it, after the data is in place', () => {
    template.resourceCountIs('Custom::RekognitionModerationJob', 1);
    const jobId = Object.keys(template.findResources('Custom::RekognitionModerationJob'))[0];
    const job = template.toJSON().Resources[jobId];
    expect(job.Properties).toEqual(expect.objectContaining({
      ManifestBucket: { Ref: logicalId(stack.pipeline.inputBucket) },
      ManifestKey: 'deploy-time/sample.jsonl',
      WaitForCompletion: 'true',
    }));
    const deploymentIds = Object.keys(template.findResources('Custom::CDKBucketDeployment'));
    expect(job.DependsOn).toEqual(expect.arrayContaining(deploymentIds));
  });

  test('keeps the sample manifest outside the manifest prefix, so the trigger does not start a second job for it', () => {
    const manifestKey = Object.values(template.findResources('Custom::RekognitionModerationJob'))[0].Properties.ManifestKey as string;
    expect(manifestKey.startsWith(stack.pipeline.manifestPrefix)).toBe(false);
  });

  test('outputs the sample job id and results location', () => {
    expect(Object.keys(template.findOutputs('*'))).toEqual(expect.arrayContaining(['SampleJobId', 'SampleJobResults']));
  });
});

describe('asset-hash snapshot serializer', () => {
  const serializer = require('../support/asset-hash-serializer');
  const print = (value: unknown): string => serializer.serialize(value, {}, '', 0, [], (v: unknown) => JSON.stringify(v));
  const hash = 'cf253aadee36172d8177a7c5e3c77db1ac868165c7ffbf5ce739b79bc6d784cb';

  test('blanks asset hashes in S3 keys and in any other string', () => {
    expect(serializer.test(`${hash}.zip`)).toBe(true);
    expect(print(`${hash}.zip`)).toBe('"<asset-hash>.zip"');
    expect(print(`cdk-assets/${hash}/x-${hash}`)).toBe('"cdk-assets/<asset-hash>/x-<asset-hash>"');
  });

  test('leaves other strings, shorter hex strings and logical IDs alone', () => {
    expect(serializer.test('BucketNotificationsHandler050a0587b7544547bf325f094a3db834')).toBe(false);
    expect(serializer.test(hash.toUpperCase())).toBe(false);
    expect(serializer.test(42)).toBe(false);
  });

  test('blanks inline Lambda code, which changes with aws-cdk-lib releases', () => {
    expect(serializer.test({ ZipFile: 'import boto3' })).toBe(true);
    expect(JSON.parse(print({ ZipFile: 'import boto3', Other: 1 }))).toEqual({ ZipFile: '<inline-code (aws-cdk-lib version dependent)>', Other: 1 });
    expect(serializer.test({ ZipFile: '<inline-code (aws-cdk-lib version dependent)>' })).toBe(false);
  });
});
