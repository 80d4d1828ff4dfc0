import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { ImageIngestion, ModerationAction, ModerationBackfill, ModerationEngine, ModerationJob, ModerationPipeline, ModerationPolicy, ModerationRule, ModerationVpcEndpoints } from '../../../lib';

const BUCKET_NOTIFICATIONS_HANDLER = /^BucketNotificationsHandler/;

function givenVpc(stack: Stack): ec2.IVpc {
  return ec2.Vpc.fromVpcAttributes(stack, 'GivenVpc', {
    vpcId: 'vpc-0123456789abcdef0',
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    privateSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
    isolatedSubnetIds: ['subnet-0123456789abcdef2', 'subnet-0123456789abcdef3'],
  });
}

/** A stack with a pipeline of `engine` and a job that waits (every kind of function of the library), all given `network`. */
/** aws-cdk-lib's AwsCustomResource singleton (the backfill's startOnDeploy). */
const AWS_CUSTOM_RESOURCE = /^AWS679f53fac002430cb0da5b7982bd2287/;

function synthAll(engine: ModerationEngine, network: (stack: Stack) => Record<string, unknown>): { stack: Stack; template: Template } {
  const stack = new Stack(new App(), 'Stack', { env: { account: '123456789012', region: 'eu-west-1' } });
  const props = network(stack);
  const pipeline = new ModerationPipeline(stack, 'Pipeline', {
    engine,
    // Every stage that adds functions: ingestion (the batcher) and a policy (the actions function).
    imageIngestion: ImageIngestion.fromPrefix('uploads/'),
    policy: ModerationPolicy.of({ rules: [ModerationRule.label('Explicit', { minConfidence: 80, actions: [ModerationAction.QUARANTINE, ModerationAction.EVENT] })] }),
    ...props,
  });
  new ModerationJob(stack, 'Job', { pipeline, engine, manifestBucket: pipeline.inputBucket, manifestKey: 'manifests/deploy.jsonl', waitForCompletion: true, ...props });
  new ModerationBackfill(stack, 'Backfill', { pipeline, bucket: pipeline.inputBucket, prefix: 'stored/', startOnDeploy: true, ...props });
  return { stack, template: Template.fromStack(stack) };
}

/** Logical ID -> Properties of every function but aws-cdk-lib's bucket-notifications handler. */
function libraryFunctions(template: Template): Record<string, any> {
  return Object.fromEntries(Object.entries(template.findResources('AWS::Lambda::Function'))
    .filter(([id]) => !BUCKET_NOTIFICATIONS_HANDLER.test(id))
    .map(([id, resource]) => [id, (resource as any).Properties]));
}

describe('vpc, vpcSubnets, securityGroups', () => {
  test.each([
    ['bulk', ModerationEngine.bulk()],
    ['perImage', ModerationEngine.perImage()],
    ['auto', ModerationEngine.auto()],
  ])('place every function of the library in the given subnets and security groups (engine %s)', (_name, engine) => {
    // GIVEN / WHEN
    let groupId = '';
    const { template } = synthAll(engine, (stack) => {
      const group = ec2.SecurityGroup.fromSecurityGroupId(stack, 'GivenGroup', 'sg-0123456789abcdef0');
      groupId = group.securityGroupId;
      return { vpc: givenVpc(stack), vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED }, securityGroups: [group] };
    });

    // THEN
    const functions = libraryFunctions(template);
    // trigger, tracker, batcher, actions, onEvent, isComplete, 3 provider functions, 2 backfill
    // functions, the AwsCustomResource that starts the backfill (+ 3 per-image functions)
    expect(Object.keys(functions).length).toBeGreaterThanOrEqual(12);
    for (const [id, properties] of Object.entries(functions)) {
      // aws-cdk-lib's AwsCustomResource takes subnets but no security groups: it creates its own.
      const securityGroups = AWS_CUSTOM_RESOURCE.test(id)
        ? [{ 'Fn::GetAtt': [expect.stringMatching(/^AWS679f53fac002430cb0da5b7982bd2287SecurityGroup/), 'GroupId'] }]
        : [groupId];
      expect({ id, vpcConfig: properties.VpcConfig }).toEqual({
        id,
        vpcConfig: { SubnetIds: ['subnet-0123456789abcdef2', 'subnet-0123456789abcdef3'], SecurityGroupIds: securityGroups },
      });
    }
  });

  test('let Lambda manage the network interfaces with the role of each handler it creates', () => {
    // GIVEN / WHEN
    const { template } = synthAll(ModerationEngine.auto(), (stack) => ({ vpc: givenVpc(stack) }));

    // THEN: each function's role can create its network interfaces (the provider's own roles get AWS's managed policy)
    for (const properties of Object.values(libraryFunctions(template))) {
      const roleId = properties.Role['Fn::GetAtt'][0];
      const role = template.findResources('AWS::IAM::Role')[roleId];
      const managed = JSON.stringify(role.Properties.ManagedPolicyArns ?? []);
      const inline = Object.values(template.findResources('AWS::IAM::Policy'))
        .filter((policy: any) => policy.Properties.Roles.some((ref: any) => ref.Ref === roleId))
        .flatMap((policy: any) => policy.Properties.PolicyDocument.Statement);
      const attaches = managed.includes('AWSLambdaVPCAccessExecutionRole')
        || inline.some((statement: any) => [statement.Action].flat().includes('ec2:CreateNetworkInterface'));
      expect({ roleId, attaches }).toEqual({ roleId, attaches: true });
    }
  });

  test('leave every function outside a VPC, with no network-interface permissions, by default', () => {
    // GIVEN / WHEN
    const { template } = synthAll(ModerationEngine.auto(), () => ({}));

    // THEN
    for (const properties of Object.values(libraryFunctions(template))) {
      expect(properties.VpcConfig).toBeUndefined();
    }
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain('ec2:');
  });

  test.each([
    ['vpcSubnets', (): Record<string, unknown> => ({ vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } }), /vpcSubnets needs vpc/],
    ['securityGroups', (stack: Stack): Record<string, unknown> => ({ securityGroups: [ec2.SecurityGroup.fromSecurityGroupId(stack, 'G', 'sg-1')] }), /securityGroups needs vpc: .*given 1 security groups/],
  ])('fails if %s is given without vpc, on the pipeline and on the job', (_prop, props, message) => {
    const pipelineStack = new Stack();
    expect(() => new ModerationPipeline(pipelineStack, 'Pipeline', props(pipelineStack))).toThrow(message);
    const jobStack = new Stack();
    const pipeline = new ModerationPipeline(jobStack, 'Pipeline');
    expect(() => new ModerationJob(jobStack, 'Job', { pipeline, manifestBucket: pipeline.inputBucket, manifestKey: 'm.jsonl', ...props(jobStack) }))
      .toThrow(message);
  });
});

/**
 * The services the library's functions call must all be reachable through ModerationVpcEndpoints.
 * Every call needs an IAM action, so the services are read from what the functions' roles are
 * granted; CloudWatch Logs, EC2 and KMS appear there but are reached by AWS services on the
 * functions' behalf (log delivery, network interfaces, S3/SQS/Rekognition encryption).
 */
describe('ModerationVpcEndpoints', () => {
  const REACHED_BY_AWS_SERVICES = ['logs', 'ec2', 'kms'];

  function grantedServices(template: Template): Set<string> {
    const functionRoles = new Set(Object.entries(libraryFunctions(template)).map(([, properties]) => properties.Role['Fn::GetAtt'][0]));
    const services = new Set<string>();
    for (const policy of Object.values(template.findResources('AWS::IAM::Policy')) as any[]) {
      if (!policy.Properties.Roles.some((ref: any) => functionRoles.has(ref.Ref))) continue;
      for (const statement of policy.Properties.PolicyDocument.Statement) {
        if (statement.Effect !== 'Allow') continue;
        for (const action of [statement.Action].flat()) services.add(action.split(':')[0]);
      }
    }
    return services;
  }

  const documented = ModerationVpcEndpoints.REQUIRED.map((endpoint) => endpoint.service);

  test.each([
    ['bulk', ModerationEngine.bulk()],
    ['perImage', ModerationEngine.perImage()],
    ['auto', ModerationEngine.auto()],
  ])('cover every service the function roles are granted (engine %s, with a job)', (_name, engine) => {
    // GIVEN / WHEN
    const { template } = synthAll(engine, (stack) => ({ vpc: givenVpc(stack) }));

    // THEN
    const services = [...grantedServices(template)];
    expect(services).toEqual(expect.arrayContaining(['s3', 'rekognition', 'lambda', 'states']));
    expect(services.filter((service) => !documented.includes(service) && !REACHED_BY_AWS_SERVICES.includes(service))).toEqual([]);
  });

  test('list no endpoint that no function role is granted', () => {
    const used = new Set([ModerationEngine.bulk(), ModerationEngine.perImage(), ModerationEngine.auto()]
      .flatMap((engine) => [...grantedServices(synthAll(engine, (stack) => ({ vpc: givenVpc(stack) })).template)]));
    expect(documented.filter((service) => !used.has(service))).toEqual([]);
  });

  test('cover every AWS SDK client the handlers import (and no KMS client is imported)', () => {
    const clients = new Set<string>();
    const visit = (dir: string): void => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) visit(file);
        else if (file.endsWith('.ts')) {
          for (const match of fs.readFileSync(file, 'utf8').matchAll(/@aws-sdk\/client-([a-z0-9-]+)/g)) clients.add(match[1]);
        }
      }
    };
    visit(path.join(__dirname, '../../../lambda'));
    const endpointOf: Record<string, string> = { sfn: 'states', eventbridge: 'events' };
    expect([...clients].map((client) => endpointOf[client] ?? client).filter((service) => !documented.includes(service))).toEqual([]);
    expect(clients.has('kms')).toBe(false);
  });

  test('addTo adds one S3 gateway endpoint and an interface endpoint with private DNS for every other service', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Stack', { env: { account: '123456789012', region: 'eu-west-1' } });
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });

    // WHEN
    ModerationVpcEndpoints.addTo(vpc);

    // THEN
    const template = Template.fromStack(stack);
    const endpoints = Object.values(template.findResources('AWS::EC2::VPCEndpoint')).map((resource: any) => resource.Properties);
    const names = endpoints.map((properties) => JSON.stringify(properties.ServiceName));
    for (const endpoint of ModerationVpcEndpoints.REQUIRED) {
      const found = endpoints.filter((_properties, index) => names[index].includes(`.${endpoint.service}"`));
      expect({ service: endpoint.service, count: found.length }).toEqual({ service: endpoint.service, count: 1 });
      expect(found[0].VpcEndpointType).toBe(endpoint.gateway ? 'Gateway' : 'Interface');
      if (!endpoint.gateway) expect(found[0].PrivateDnsEnabled).toBe(true);
    }
    expect(endpoints).toHaveLength(ModerationVpcEndpoints.REQUIRED.length);
  });
});
