import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ModerationExampleStack } from '../../../bin/moderation-example-stack';
import { ModerationEngine, ModerationJob, ModerationPipeline } from '../../../lib';

/** The property that holds a resource's physical name, per type that has one. */
const NAME_PROPERTIES: Record<string, string> = {
  'AWS::S3::Bucket': 'BucketName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::KMS::Alias': 'AliasName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::Events::Rule': 'Name',
  'AWS::Events::EventBus': 'Name',
  'AWS::CloudWatch::Alarm': 'AlarmName',
  'AWS::CloudWatch::Dashboard': 'DashboardName',
};

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';

/** One deployment of a stack: its name and the UUID CloudFormation gives it. */
interface StackInstance { readonly stackName: string; readonly uuid: string }

/** Evaluates a CloudFormation name expression as CloudFormation would for `instance`; fails on anything else. */
function evaluate(value: unknown, instance: StackInstance): string {
  if (typeof value === 'string') return value;
  const node = value as Record<string, any>;
  if (node.Ref === 'AWS::StackId') return `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${instance.stackName}/${instance.uuid}`;
  if (node.Ref === 'AWS::StackName') return instance.stackName;
  if (node.Ref === 'AWS::AccountId') return ACCOUNT;
  if (node.Ref === 'AWS::Region') return REGION;
  if (node.Ref === 'AWS::Partition') return 'aws';
  if (node['Fn::Join']) return (node['Fn::Join'][1] as unknown[]).map((item) => evaluate(item, instance)).join(node['Fn::Join'][0]);
  if (node['Fn::Split']) return JSON.stringify(evaluate(node['Fn::Split'][1], instance).split(node['Fn::Split'][0]));
  if (node['Fn::Select']) return JSON.parse(evaluate(node['Fn::Select'][1], instance))[node['Fn::Select'][0]];
  throw new Error(`cannot evaluate ${JSON.stringify(value)}`);
}

interface NamedResource { readonly logicalId: string; readonly type: string; readonly retained: boolean; readonly name?: string }

/** Every resource of the template, with its physical name as `instance` would get it. */
function namedResources(template: Template, instance: StackInstance): NamedResource[] {
  return Object.entries<any>(template.toJSON().Resources).map(([logicalId, resource]) => {
    const property = NAME_PROPERTIES[resource.Type];
    const name = property && resource.Properties?.[property];
    return {
      logicalId,
      type: resource.Type,
      retained: resource.DeletionPolicy === 'Retain' || resource.DeletionPolicy === 'RetainExceptOnCreate',
      name: name === undefined ? undefined : evaluate(name, instance),
    };
  });
}

/** What the library builds, every variant at once: both engines, a job, a dashboard and a completion topic. */
function buildAll(app: App, stackName: string): Stack {
  const stack = new Stack(app, stackName, { env: { account: ACCOUNT, region: REGION } });
  const pipeline = new ModerationPipeline(stack, 'Pipeline', { engine: ModerationEngine.auto(), dashboardEnabled: true, createCompletionTopic: true });
  new ModerationJob(stack, 'Job', { pipeline, manifestBucket: pipeline.inputBucket, manifestKey: 'manifests/deploy/batch.txt', waitForCompletion: true });
  new ModerationPipeline(stack, 'Second', { engine: ModerationEngine.perImage() });
  return stack;
}

/** Synthesizes `build` from clean state: a new App and a new stack named `stackName`. */
function synthFresh(stackName: string, build: (app: App, stackName: string) => Stack): Template {
  return Template.fromStack(build(new App(), stackName));
}

describe.each([
  ['the library (both engines, a job, two pipelines)', buildAll],
  ['the example app with its sample job', (app: App, stackName: string): Stack => new ModerationExampleStack(app, stackName, { sampleJob: true })],
])('redeploying %s', (_name, build) => {
  // The same stack destroyed and deployed again (same name, new stack UUID), and a second copy in the same account.
  const first: StackInstance = { stackName: 'Moderation', uuid: '11111111-1111-1111-1111-111111111111' };
  const redeployed: StackInstance = { stackName: 'Moderation', uuid: '22222222-2222-2222-2222-222222222222' };
  const copy: StackInstance = { stackName: 'ModerationCopy', uuid: '33333333-3333-3333-3333-333333333333' };
  let templates: { instance: StackInstance; resources: NamedResource[] }[];

  beforeAll(() => {
    // GIVEN / WHEN: each instance synthesized from clean state, in its own App
    templates = [first, redeployed, copy].map((instance) => ({ instance, resources: namedResources(synthFresh(instance.stackName, build), instance) }));
  });

  test('the two synths from clean state produce the same resources', () => {
    const [a, b] = templates;
    expect(b.resources.map((r) => `${r.type} ${r.logicalId}`)).toEqual(a.resources.map((r) => `${r.type} ${r.logicalId}`));
  });

  test('the retained resources include the buckets, the key and the log groups', () => {
    const retainedTypes = new Set(templates[0].resources.filter((r) => r.retained).map((r) => r.type));
    expect([...retainedTypes]).toEqual(expect.arrayContaining(['AWS::S3::Bucket', 'AWS::KMS::Key', 'AWS::Logs::LogGroup']));
  });

  test('no retained resource has a name that is the same in another stack instance', () => {
    const [a, ...others] = templates;
    for (const resource of a.resources.filter((r) => r.retained && r.name !== undefined)) {
      for (const other of others) {
        const again = other.resources.find((r) => r.logicalId === resource.logicalId)!;
        expect({ id: resource.logicalId, same: again.name === resource.name }).toEqual({ id: resource.logicalId, same: false });
      }
    }
  });

  test('no named resource of one instance collides with any resource of another (a retained one included)', () => {
    for (const a of templates) {
      for (const b of templates.filter((t) => t !== a)) {
        const namesOfB = new Set(b.resources.filter((r) => r.name !== undefined).map((r) => `${r.type} ${r.name}`));
        const collisions = a.resources.filter((r) => r.name !== undefined && namesOfB.has(`${r.type} ${r.name}`));
        expect(collisions.map((r) => `${r.logicalId}: ${r.name}`)).toEqual([]);
      }
    }
  });
});

describe('physical names', () => {
  test('each one the library sets is built on the stack instance\'s UUID', () => {
    // GIVEN / WHEN
    const template = synthFresh('Moderation', buildAll);

    // THEN
    const resources = template.toJSON().Resources as Record<string, any>;
    const named = Object.entries(resources).filter(([, r]) => NAME_PROPERTIES[r.Type] && r.Properties?.[NAME_PROPERTIES[r.Type]] !== undefined);
    expect(named.length).toBeGreaterThan(0);
    for (const [id, resource] of named) {
      expect({ id, name: JSON.stringify(resource.Properties[NAME_PROPERTIES[resource.Type]]) })
        .toEqual({ id, name: expect.stringContaining('{"Fn::Select":[2,{"Fn::Split":["/",{"Ref":"AWS::StackId"}]}]}') });
    }
    expect(named.map(([, r]) => r.Type).sort()).toEqual(expect.arrayContaining(['AWS::Logs::LogGroup', 'AWS::SQS::Queue']));
    expect(named.map(([, r]) => r.Type)).not.toContain('AWS::S3::Bucket');
  });
});
