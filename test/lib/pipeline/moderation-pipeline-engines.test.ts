import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ModerationEngine, ModerationPipeline } from '../../../lib';
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
