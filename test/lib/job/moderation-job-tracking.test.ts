import { App, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ModerationEngine, ModerationJob, ModerationJobProps, ModerationPipeline } from '../../../lib';
import { HandlerFunction } from '../../../lib/common/handler-function';
import { ModerationJobEnvironment } from '../../../lib/job/moderation-job-contract';
import { logicalId, resolve, roleStatements, statementsGranting } from '../../support/synth-helpers';

interface Built {
  stack: Stack;
  pipeline: ModerationPipeline;
  job: ModerationJob;
  onEvent: HandlerFunction;
}

function build(options: Partial<ModerationJobProps> = {}, pipelineEngine?: ModerationEngine, app = new App()): Built {
  const stack = new Stack(app, 'Stack');
  const pipeline = new ModerationPipeline(stack, 'Pipeline', { ...pipelineEngine && { engine: pipelineEngine } });
  const job = new ModerationJob(stack, 'Job', { pipeline, manifestBucket: pipeline.inputBucket, manifestKey: 'manifests/deploy.jsonl', ...options });
  return { stack, pipeline, job, onEvent: job.node.findChild('OnEvent') as HandlerFunction };
}

function environmentOf(built: Built): Record<string, unknown> {
  const fn = Template.fromStack(built.stack).toJSON().Resources[logicalId(built.onEvent.function)];
  return fn.Properties.Environment?.Variables ?? {};
}

function startExecutionResources(built: Built): unknown[] {
  return statementsGranting(roleStatements(Template.fromStack(built.stack), built.onEvent.role), 'states:StartExecution').flatMap((s) => s.Resource);
}

describe('a bulk ModerationJob of a pipeline (reportCompletion by default)', () => {
  let built: Built;
  beforeAll(() => {
    built = build();
  });

  test("onEvent is told the pipeline's tracking state machine", () => {
    expect(environmentOf(built)).toEqual({
      [ModerationJobEnvironment.TRACKING_STATE_MACHINE_ARN]: resolve(built.stack, built.pipeline.trackingStateMachine.stateMachineArn),
    });
  });

  test('onEvent may start executions of that state machine only', () => {
    expect(startExecutionResources(built)).toEqual([resolve(built.stack, built.pipeline.trackingStateMachine.stateMachineArn)]);
  });

  test('the ARN is no resource property, so it cannot change the job token of a deployed stack', () => {
    const resource = Template.fromStack(built.stack).toJSON().Resources[logicalId(built.job.resource)];
    expect(JSON.stringify(resource.Properties)).not.toContain(logicalId(built.pipeline.trackingStateMachine));
  });
});

test('passes the cdk-nag AwsSolutions checks (no unacknowledged finding, no dependency cycle)', () => {
  const app = new App();
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  build({ waitForCompletion: true }, undefined, app);

  expect(() => app.synth()).not.toThrow();
});

test('a job in another stack than its pipeline synthesizes (a cross-stack reference, no cycle)', () => {
  const app = new App();
  const pipelineStack = new Stack(app, 'Pipelines');
  const pipeline = new ModerationPipeline(pipelineStack, 'Pipeline');
  const jobStack = new Stack(app, 'Jobs');
  new ModerationJob(jobStack, 'Job', { pipeline, manifestBucket: pipeline.inputBucket, manifestKey: 'manifests/deploy.jsonl' });

  expect(() => app.synth()).not.toThrow();
  expect(JSON.stringify(Template.fromStack(jobStack).toJSON())).toContain(ModerationJobEnvironment.TRACKING_STATE_MACHINE_ARN);
});

test('reportCompletion: false leaves the job untracked: no ARN, no permission', () => {
  const built = build({ reportCompletion: false });

  expect(environmentOf(built)).toEqual({});
  expect(startExecutionResources(built)).toEqual([]);
});

test('a per-image job is not tracked (its workflow reports it), and refuses reportCompletion: false', () => {
  const built = build({}, ModerationEngine.perImage());

  expect(environmentOf(built)).toEqual({});
  expect(startExecutionResources(built)).toEqual([resolve(built.stack, built.pipeline.perImageStateMachine!.stateMachineArn)]);
  expect(() => build({ reportCompletion: false }, ModerationEngine.perImage()))
    .toThrow(/reportCompletion cannot be false with engine ModerationEngine\.perImage\(\)/);
});

test('an auto() job is tracked: its bulk job is reported like any other', () => {
  const built = build({}, ModerationEngine.auto());

  expect(environmentOf(built)).toHaveProperty(ModerationJobEnvironment.TRACKING_STATE_MACHINE_ARN);
});

describe('results the tracking cannot read', () => {
  function ownBucket(stack: Stack) {
    return s3.Bucket.fromBucketName(stack, 'Elsewhere', 'elsewhere');
  }

  test('by default: not tracked, with a warning that names the reason', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack');
    const pipeline = new ModerationPipeline(stack, 'Pipeline');
    const job = new ModerationJob(stack, 'Job', { pipeline, manifestBucket: pipeline.inputBucket, manifestKey: 'm.jsonl', outputBucket: ownBucket(stack) });

    const onEvent = job.node.findChild('OnEvent') as HandlerFunction;
    expect(environmentOf({ stack, pipeline, job, onEvent })).toEqual({});
    Annotations.fromStack(stack).hasWarning('/Stack/Job', Match.stringLikeRegexp("outputBucket differs from the pipeline's"));
  });

  test('with reportCompletion: true: an error naming the prop and the mismatch', () => {
    expect(() => build({ reportCompletion: true, outputPrefix: 'elsewhere/' }))
      .toThrow(/reportCompletion: the pipeline's tracking workflow reads only .*outputPrefix 'elsewhere\/' is not under the pipeline's 'results\/'/);
  });

  test('reportCompletion: true without a pipeline is refused', () => {
    const stack = new Stack(new App(), 'Stack');
    expect(() => new ModerationJob(stack, 'Job', {
      manifestBucket: s3.Bucket.fromBucketName(stack, 'M', 'manifests'),
      manifestKey: 'm.jsonl',
      outputBucket: s3.Bucket.fromBucketName(stack, 'O', 'out'),
      reportCompletion: true,
    })).toThrow(/reportCompletion needs a pipeline/);
  });
});
