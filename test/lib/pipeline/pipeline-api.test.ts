import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { IModerationPipeline, ModerationEngine, ModerationJob, ModerationPipeline } from '../../../lib';
import { ModerationJobProperty } from '../../../lib/job/moderation-job-contract';

// Compile-time checks (npm test runs tsc): the outputs are typed as the interfaces users need,
// not as concrete classes, so the construct may change how it makes them.
type IsExactly<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const OUTPUT_TYPES: [
  IsExactly<ModerationPipeline['manifestQueue'], sqs.IQueue>,
  IsExactly<ModerationPipeline['deadLetterQueue'], sqs.IQueue>,
  IsExactly<ModerationPipeline['triggerFunction'], lambda.IFunction>,
  IsExactly<ModerationPipeline['trackerFunction'], lambda.IFunction>,
  IsExactly<ModerationPipeline['trackingStateMachine'], sfn.IStateMachine>,
  IsExactly<ModerationPipeline['perImageStateMachine'], sfn.IStateMachine | undefined>,
  IsExactly<ModerationPipeline['alarms'], cloudwatch.IAlarm[]>,
] = [true, true, true, true, true, true, true];

test('types the outputs as interfaces (checked by the compiler)', () => {
  expect(OUTPUT_TYPES.every(Boolean)).toBe(true);
});

test('a ModerationPipeline is an IModerationPipeline', () => {
  const pipeline: IModerationPipeline = new ModerationPipeline(new Stack(new App(), 'Stack'), 'Pipeline');
  expect(pipeline.node.path).toBe('Stack/Pipeline');
});

/** A pipeline of another making: only what ModerationJob reads from one. */
class ImportedPipeline extends Construct implements IModerationPipeline {
  public readonly inputBucket: s3.IBucket;
  public readonly outputBucket: s3.IBucket;
  public readonly encryptionKey: kms.IKey;
  public readonly manifestPrefix = 'in/';
  public readonly manifestSuffixes = ['.jsonl'];
  public readonly outputPrefix = 'out/';
  public readonly jobNamePrefix = 'imported-';
  public readonly imageBuckets: s3.IBucket[];
  public readonly engine: ModerationEngine;
  public readonly perImageStateMachine?: sfn.IStateMachine;
  public readonly trackingStateMachine: sfn.IStateMachine;

  constructor(scope: Construct, id: string, engine: ModerationEngine, perImageStateMachine?: sfn.IStateMachine) {
    super(scope, id);
    this.inputBucket = s3.Bucket.fromBucketName(this, 'In', 'imported-in');
    this.outputBucket = s3.Bucket.fromBucketName(this, 'Out', 'imported-out');
    this.encryptionKey = kms.Key.fromKeyArn(this, 'Key', 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555');
    this.imageBuckets = [this.inputBucket];
    this.engine = engine;
    this.perImageStateMachine = perImageStateMachine;
    this.trackingStateMachine = sfn.StateMachine.fromStateMachineArn(this, 'Tracking', 'arn:aws:states:eu-west-1:123456789012:stateMachine:imported-tracking');
  }
}

describe('ModerationJob with an IModerationPipeline that is not a ModerationPipeline', () => {
  test('takes the output bucket, prefix and job name prefix from it', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Stack');
    const pipeline = new ImportedPipeline(stack, 'Imported', ModerationEngine.bulk());

    // WHEN
    new ModerationJob(stack, 'Job', { pipeline, manifestBucket: pipeline.inputBucket, manifestKey: 'in/batch.jsonl' });

    // THEN
    Template.fromStack(stack).hasResourceProperties('Custom::RekognitionModerationJob', {
      OutputBucket: 'imported-out',
      OutputPrefix: 'out/',
      JobNamePrefix: 'imported-',
    });
  });

  test('runs the manifest on its imported per-image workflow, allowed to describe that workflow\'s executions', () => {
    // GIVEN a per-image workflow known only by its ARN
    const stack = new Stack(new App(), 'Stack', { env: { account: '123456789012', region: 'eu-west-1' } });
    const workflow = sfn.StateMachine.fromStateMachineArn(stack, 'Workflow', 'arn:aws:states:eu-west-1:123456789012:stateMachine:per-image-runs');
    const pipeline = new ImportedPipeline(stack, 'Imported', ModerationEngine.perImage(), workflow);

    // WHEN
    new ModerationJob(stack, 'Job', { pipeline, manifestBucket: pipeline.inputBucket, manifestKey: 'in/batch.jsonl' });

    // THEN
    const template = Template.fromStack(stack);
    template.hasResourceProperties('Custom::RekognitionModerationJob', {
      [ModerationJobProperty.PER_IMAGE_STATE_MACHINE_ARN]: workflow.stateMachineArn,
    });
    const statements = Object.values<any>(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    const describe = statements.find((s) => s.Sid === 'DescribePerImageRuns');
    expect(describe.Resource).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':states:eu-west-1:123456789012:execution:per-image-runs:*']] });
  });
});
