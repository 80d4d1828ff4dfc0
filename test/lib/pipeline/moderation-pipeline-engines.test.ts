import { App, CfnParameter, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ModerationEngine, ModerationPipeline, ModerationPipelineProps } from '../../../lib';
import { TriggerEngine } from '../../../lib/trigger/trigger-contract';
import { logicalId, synthPipeline } from '../../support/synth-helpers';

function triggerEnvironment(template: Template): Record<string, any> {
  const functions = template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('^Starts a Rekognition') } });
  return Object.values<any>(functions)[0].Properties.Environment.Variables;
}

function triggerStatements(template: Template, pipeline: ModerationPipeline): any[] {
  const roleId = logicalId(pipeline.triggerFunction.role!);
  return Object.values<any>(template.findResources('AWS::IAM::Policy'))
    .filter((p) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

describe('engine bulk (the default)', () => {
  const { pipeline, template } = synthPipeline();

  test('creates no per-image workflow and tells the trigger it runs bulk analysis', () => {
    expect(pipeline.engine.kind).toBe('bulk');
    expect(pipeline.perImageStateMachine).toBeUndefined();
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    expect(triggerEnvironment(template).ENGINE).toBe('bulk');
    expect(triggerEnvironment(template).PER_IMAGE_STATE_MACHINE_ARN).toBeUndefined();
  });
});

describe('engine perImage()', () => {
  const { pipeline, template } = synthPipeline({ engine: ModerationEngine.perImage({ imagesPerSecond: 20 }) });

  test('adds the per-image workflow and points the trigger at it', () => {
    expect(pipeline.perImageStateMachine).toBeDefined();
    const env = triggerEnvironment(template);
    expect(env.ENGINE).toBe('per-image');
    expect(env.PER_IMAGE_STATE_MACHINE_ARN).toEqual({ Ref: logicalId(pipeline.perImageStateMachine!) });
  });

  test('lets the trigger start per-image runs, and no bulk analysis job', () => {
    const statements = triggerStatements(template, pipeline);
    expect(statements).toContainEqual(expect.objectContaining({
      Action: 'states:StartExecution',
      Resource: { Ref: logicalId(pipeline.perImageStateMachine!) },
    }));
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions).not.toContain('rekognition:StartMediaAnalysisJob');
    expect(actions).not.toContain('kms:CreateGrant');
  });

  test('counts failed per-image runs in the TrackingFailed alarm', () => {
    const alarms = template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmDescription: Match.stringLikeRegexp('tracking execution failed') } });
    const metrics = JSON.stringify(Object.values<any>(alarms)[0].Properties.Metrics);
    expect(metrics).toContain(logicalId(pipeline.perImageStateMachine!));
    expect(metrics).toContain(logicalId(pipeline.trackingStateMachine));
  });
});

describe('engine auto()', () => {
  const { pipeline, template } = synthPipeline({ engine: ModerationEngine.auto() });

  test('keeps bulk analysis and adds the per-image workflow for the fallback', () => {
    expect(triggerEnvironment(template).ENGINE).toBe('auto');
    const actions = triggerStatements(template, pipeline).flatMap((s) => [s.Action].flat());
    expect(actions).toContain('rekognition:StartMediaAnalysisJob');
    expect(actions).toContain('states:StartExecution');
    expect(pipeline.perImageStateMachine).toBeDefined();
  });
});

test.each([
  ['perImage', ModerationEngine.perImage()],
  ['auto', ModerationEngine.auto({ imagesPerSecond: 50, maxFailureShare: 0.2 })],
])('engine %s synthesizes with AwsSolutions checks and no unacknowledged finding', (_name, engine) => {
  const app = new App();
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new Stack(app, 'Stack');
  new ModerationPipeline(stack, 'Pipeline', { engine, createCompletionTopic: true, dashboardEnabled: true });
  expect(() => app.synth()).not.toThrow();
});

describe('engine options are checked with the other props', () => {
  function problems(props: ModerationPipelineProps): string[] {
    try {
      new ModerationPipeline(new Stack(new App(), 'Stack'), 'Pipeline', props);
    } catch (error) {
      return (error as Error).message.split('\n');
    }
    throw new Error('expected an error');
  }

  test('in the one error message, each named engine.<option> with the value given', () => {
    expect(problems({ minConfidence: 101, engine: ModerationEngine.perImage({ imagesPerSecond: 0, maxFailureShare: 1.5, timeout: Duration.minutes(5) }) })).toEqual([
      'Invalid props for Stack/Pipeline:',
      '- minConfidence must be a number from 0 to 100 (given 101)',
      '- engine.imagesPerSecond must be a number from 1 to 1000 (given 0)',
      '- engine.maxFailureShare must be a number from 0 to 1 (given 1.5)',
      '- engine.timeout must be at least 15 minutes (given 5 minutes)',
    ]);
  });

  test.each([
    ['perImage', ModerationEngine.perImage({ imagesPerSecond: Token.asNumber({ Ref: 'Rate' }) })],
    ['auto', ModerationEngine.auto({ imagesPerSecond: Token.asNumber({ Ref: 'Rate' }) })],
  ])('fails if engine %s() is given a token imagesPerSecond, which sizes the Map at synth', (_name, engine) => {
    expect(problems({ engine })).toEqual([
      'Invalid props for Stack/Pipeline:',
      expect.stringMatching(/^- engine\.imagesPerSecond must be a concrete number, not a token: it sets the Distributed Map's MaxConcurrency at synth \(given \$\{Token\[.*\]\}\)$/),
    ]);
  });

  test('accepts a token maxFailureShare, written into the finalize function\'s environment', () => {
    const stack = new Stack(new App(), 'Stack');
    const share = new CfnParameter(stack, 'Share', { type: 'Number' });
    new ModerationPipeline(stack, 'Pipeline', { engine: ModerationEngine.perImage({ maxFailureShare: share.valueAsNumber }) });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('bulk analysis format'),
      Environment: { Variables: Match.objectLike({ MAX_FAILURE_SHARE: { Ref: 'Share' } }) },
    });
  });
});

describe('engines carry their behaviour', () => {
  test.each([
    ['bulk', ModerationEngine.bulk(), { ENGINE: 'bulk', workflow: false, startsJobs: true }],
    ['perImage', ModerationEngine.perImage(), { ENGINE: 'per-image', workflow: true, startsJobs: false }],
    ['auto', ModerationEngine.auto(), { ENGINE: 'auto', workflow: true, startsJobs: true }],
  ])('%s: the trigger\'s engine value, the workflow and the bulk grants come from the engine', (_name, engine, expected) => {
    const { pipeline, template } = synthPipeline({ engine });
    expect(triggerEnvironment(template).ENGINE).toBe(expected.ENGINE);
    expect(pipeline.perImageStateMachine !== undefined).toBe(expected.workflow);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', expected.workflow ? 2 : 1);
    const actions = triggerStatements(template, pipeline).flatMap((s) => [s.Action].flat());
    expect(actions.includes('rekognition:StartMediaAnalysisJob')).toBe(expected.startsJobs);
  });

  test('the trigger\'s ENGINE values are the trigger contract\'s, not the public enum', () => {
    expect(Object.values(TriggerEngine).sort()).toEqual(['auto', 'bulk', 'per-image']);
    for (const engine of [ModerationEngine.bulk(), ModerationEngine.perImage(), ModerationEngine.auto()]) {
      expect(Object.values<string>(TriggerEngine)).toContain(triggerEnvironment(synthPipeline({ engine }).template).ENGINE);
    }
  });

  test('the per-image workflow is sized from the engine\'s imagesPerSecond', () => {
    const { template } = synthPipeline({ engine: ModerationEngine.auto({ imagesPerSecond: 50 }) });
    const machines = Object.values<any>(template.findResources('AWS::StepFunctions::StateMachine'));
    expect(JSON.stringify(machines.map((m) => m.Properties.DefinitionString))).toContain('\\"MaxConcurrency\\":10');
  });
});
