import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ModerationEngine, ModerationJob, ModerationJobProps, ModerationPipeline, ModerationPipelineProps } from '../../../lib';
import { ModerationJobProperty } from '../../../lib/job/moderation-job-contract';
import { asArray, logicalId, resourceProperties } from '../../support/synth-helpers';

interface Built {
  readonly stack: Stack;
  readonly pipeline: ModerationPipeline;
  readonly job: ModerationJob;
  readonly template: Template;
}

/** A pipeline and a job on a manifest in its input bucket, in a new stack. */
function build(pipelineProps: ModerationPipelineProps, jobProps: Partial<ModerationJobProps> = {}, app = new App()): Built {
  const stack = new Stack(app, 'Stack');
  const pipeline = new ModerationPipeline(stack, 'Pipeline', pipelineProps);
  const job = new ModerationJob(stack, 'Job', {
    pipeline,
    manifestBucket: pipeline.inputBucket,
    manifestKey: 'manifests/deploy/batch.jsonl',
    ...jobProps,
  });
  return { stack, pipeline, job, template: Template.fromStack(stack) };
}

function properties(built: Built): Record<string, unknown> {
  return resourceProperties(built.template, logicalId(built.job.resource));
}

/** Every action the role's policies allow, with their resources. */
function grants(built: Built, handler: 'OnEvent' | 'IsComplete'): Array<{ action: string; resources: unknown[] }> {
  const roleId = logicalId((built.job.node.findChild(handler) as any).role);
  return Object.values<any>(built.template.findResources('AWS::IAM::Policy'))
    .filter((policy) => (policy.Properties.Roles ?? []).some((r: any) => r.Ref === roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
    .filter((s: any) => s.Effect === 'Allow')
    .flatMap((s: any) => asArray<string>(s.Action).map((action) => ({ action, resources: asArray(s.Resource) })));
}

/** The actions granted beyond writing the function's own logs. */
function actions(built: Built, handler: 'OnEvent' | 'IsComplete'): string[] {
  return grants(built, handler).map((grant) => grant.action).filter((action) => !action.startsWith('logs:')).sort();
}

/** `arn:<partition>:states:<region>:<account>:execution:<name of the per-image state machine>:*` */
function executionsArn(built: Built): unknown {
  return {
    'Fn::Join': ['', [
      'arn:', { Ref: 'AWS::Partition' }, ':states:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':execution:',
      { 'Fn::GetAtt': [logicalId(built.pipeline.perImageStateMachine!), 'Name'] }, ':*',
    ]],
  };
}

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    return (error as Error).message.split('\n').filter((line) => line.startsWith('- '));
  }
  throw new Error('expected an error');
}

describe('the engine of a ModerationJob', () => {
  test("defaults to the pipeline's engine", () => {
    const built = build({ engine: ModerationEngine.perImage() });

    expect(built.job.engine.kind).toBe('per-image');
    expect(properties(built)[ModerationJobProperty.ENGINE]).toBe('per-image');
  });

  test('defaults to bulk without a pipeline, and leaves the Engine properties out for bulk', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Stack');

    // WHEN
    const job = new ModerationJob(stack, 'Job', {
      manifestBucket: s3.Bucket.fromBucketName(stack, 'Manifests', 'acme-manifests'),
      manifestKey: 'batch.jsonl',
      outputBucket: s3.Bucket.fromBucketName(stack, 'Results', 'acme-results'),
    });

    // THEN
    expect(job.engine.kind).toBe('bulk');
    const props = resourceProperties(Template.fromStack(stack), logicalId(job.resource));
    expect(props).not.toHaveProperty(ModerationJobProperty.ENGINE);
    expect(props).not.toHaveProperty(ModerationJobProperty.PER_IMAGE_STATE_MACHINE_ARN);
  });

  test('can be bulk on an auto pipeline', () => {
    const built = build({ engine: ModerationEngine.auto() }, { engine: ModerationEngine.bulk() });

    expect(properties(built)).not.toHaveProperty(ModerationJobProperty.ENGINE);
    // Only the tracking workflow that reports the bulk job, not the per-image one.
    expect(grants(built, 'OnEvent').filter((grant) => grant.action.startsWith('states:')))
      .toEqual([{ action: 'states:StartExecution', resources: [{ Ref: logicalId(built.pipeline.trackingStateMachine) }] }]);
  });
});

describe('engine perImage()', () => {
  const built = build({ engine: ModerationEngine.perImage() }, { engine: ModerationEngine.perImage(), waitForCompletion: true });

  test("names the engine and the pipeline's per-image state machine in the resource properties", () => {
    expect(properties(built)).toMatchObject({
      Engine: 'per-image',
      PerImageStateMachineArn: { Ref: logicalId(built.pipeline.perImageStateMachine!) },
    });
  });

  test('lets onEvent start executions of exactly that state machine and describe its executions, and nothing of bulk analysis', () => {
    expect(grants(built, 'OnEvent')).toEqual(expect.arrayContaining([
      { action: 'states:StartExecution', resources: [{ Ref: logicalId(built.pipeline.perImageStateMachine!) }] },
      { action: 'states:DescribeExecution', resources: [executionsArn(built)] },
    ]));
    expect(actions(built, 'OnEvent')).toEqual(['states:DescribeExecution', 'states:StartExecution']);
  });

  test('lets isComplete describe those executions only', () => {
    expect(grants(built, 'IsComplete').filter((grant) => !grant.action.startsWith('logs:')))
      .toEqual([{ action: 'states:DescribeExecution', resources: [executionsArn(built)] }]);
  });
});

describe('engine auto()', () => {
  const built = build({ engine: ModerationEngine.auto() }, { waitForCompletion: true });

  test('keeps the bulk analysis grants and adds the per-image ones', () => {
    expect(properties(built)).toMatchObject({ Engine: 'auto', PerImageStateMachineArn: { Ref: logicalId(built.pipeline.perImageStateMachine!) } });
    expect(actions(built, 'OnEvent')).toEqual(expect.arrayContaining([
      'rekognition:StartMediaAnalysisJob', 's3:GetObject', 's3:PutObject', 'states:DescribeExecution', 'states:StartExecution',
    ]));
    expect(actions(built, 'IsComplete')).toEqual(['rekognition:GetMediaAnalysisJob', 'states:DescribeExecution']);
  });
});

describe('engine bulk()', () => {
  const built = build({}, { waitForCompletion: true });

  test('grants nothing of Step Functions but starting the tracking workflow that reports the job', () => {
    expect(actions(built, 'OnEvent')).toContain('rekognition:StartMediaAnalysisJob');
    expect(grants(built, 'OnEvent').filter((grant) => grant.action.startsWith('states:')))
      .toEqual([{ action: 'states:StartExecution', resources: [{ Ref: logicalId(built.pipeline.trackingStateMachine) }] }]);
    expect(actions(built, 'IsComplete')).toEqual(['rekognition:GetMediaAnalysisJob']);
  });
});

describe('validation', () => {
  test('fails if engine perImage() is given without a pipeline', () => {
    const stack = new Stack(new App(), 'Stack');

    expect(() => new ModerationJob(stack, 'Job', {
      engine: ModerationEngine.perImage(),
      manifestBucket: s3.Bucket.fromBucketName(stack, 'Manifests', 'acme-manifests'),
      manifestKey: 'batch.jsonl',
      outputBucket: s3.Bucket.fromBucketName(stack, 'Results', 'acme-results'),
    })).toThrow(/engine ModerationEngine\.perImage\(\) needs a pipeline whose engine uses the per-image workflow .*\(given no pipeline\)/);
  });

  test('fails if the pipeline has no per-image workflow', () => {
    expect(() => build({}, { engine: ModerationEngine.auto() }))
      .toThrow(/engine ModerationEngine\.auto\(\) needs a pipeline whose engine uses the per-image workflow .*\(given pipeline Stack\/Pipeline with engine 'bulk'\)/);
  });

  test("fails if the manifest is where the pipeline's workflow cannot read it", () => {
    expect(problems(() => build({ engine: ModerationEngine.perImage() }, { manifestKey: 'deploy/batch.jsonl' }))).toEqual([
      "- manifestKey must start with the pipeline's manifestPrefix 'manifests/' with engine ModerationEngine.perImage(): its per-image workflow reads manifests only from there (given 'deploy/batch.jsonl')",
    ]);
    const stack = new Stack(new App(), 'Stack');
    const pipeline = new ModerationPipeline(stack, 'Pipeline', { engine: ModerationEngine.perImage() });
    expect(() => new ModerationJob(stack, 'Job', { pipeline, manifestBucket: s3.Bucket.fromBucketName(stack, 'Other', 'other'), manifestKey: 'manifests/a.jsonl' }))
      .toThrow(/manifestBucket must be the pipeline's inputBucket/);
  });

  test("accepts the pipeline's own settings given again, and fails on any other, all at once", () => {
    // GIVEN
    const stack = new Stack(new App(), 'Stack');
    const pipeline = new ModerationPipeline(stack, 'Pipeline', { engine: ModerationEngine.perImage(), minConfidence: 60 });
    const base = { pipeline, manifestBucket: s3.Bucket.fromBucketName(stack, 'Input', pipeline.inputBucket.bucketName), manifestKey: 'manifests/a.jsonl' };

    // THEN
    expect(() => new ModerationJob(stack, 'Same', {
      ...base, outputBucket: pipeline.outputBucket, outputPrefix: 'results/deploy/', encryptionKey: pipeline.encryptionKey, minConfidence: 60,
    })).not.toThrow();
    expect(problems(() => new ModerationJob(stack, 'Different', {
      ...base,
      outputBucket: s3.Bucket.fromBucketName(stack, 'Results', 'acme-results'),
      outputPrefix: 'elsewhere/',
      encryptionKey: kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555'),
      minConfidence: 80,
      projectVersion: 'arn:aws:rekognition:eu-west-1:123456789012:project/moderation/version/v1/1700000000000',
    }))).toEqual([
      expect.stringMatching(/^- outputBucket cannot differ from the pipeline's with engine ModerationEngine\.perImage\(\)/),
      expect.stringMatching(/^- outputPrefix must start with the pipeline's outputPrefix 'results\/'/),
      expect.stringMatching(/^- encryptionKey cannot differ/),
      expect.stringMatching(/^- minConfidence cannot differ .*\(given 80, the pipeline's: 60\)/),
      expect.stringMatching(/^- projectVersion cannot differ/),
    ]);
  });
});

describe('the job\'s engine takes no options it would ignore', () => {
  test('fails if a perImage() or auto() job engine is given options, each named with the value given, with the other prop errors', () => {
    expect(problems(() => build({ engine: ModerationEngine.auto() }, {
      jobName: 'bad name',
      engine: ModerationEngine.perImage({ imagesPerSecond: 20, maxFailureShare: 0.5, timeout: Duration.hours(2) }),
    }))).toEqual([
      "- jobName must be 1 to 64 characters of letters, digits, '_', '.' and '-' (given 'bad name')",
      "- engine.imagesPerSecond cannot be given to a ModerationJob's engine: the job runs on its pipeline's per-image workflow, whose engine sets it; give ModerationEngine.perImage() without options (given 20)",
      expect.stringMatching(/^- engine\.maxFailureShare cannot be given to a ModerationJob's engine: .*\(given 0\.5\)$/),
      expect.stringMatching(/^- engine\.timeout cannot be given to a ModerationJob's engine: .*\(given 2 hours\)$/),
    ]);
  });

  test("accepts the pipeline's engine with its options when the job inherits it", () => {
    const built = build({ engine: ModerationEngine.perImage({ imagesPerSecond: 20, maxFailureShare: 0.5 }) });

    expect(properties(built)).toMatchObject({ Engine: 'per-image' });
  });
});

describe('under the cdk-nag AwsSolutions checks', () => {
  test.each([
    ['perImage()', () => ModerationEngine.perImage()],
    ['auto()', () => ModerationEngine.auto()],
  ])('passes for a %s job with waitForCompletion', (_name, engine) => {
    // GIVEN
    const app = new App();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    // WHEN
    build({ engine: engine() }, { waitForCompletion: true }, app);

    // THEN
    expect(() => app.synth()).not.toThrow();
  });
});
