import { App, CfnElement, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { ModerationEngine, ModerationJob, ModerationPipeline } from '../../../lib';

/** One Control Tower proactive-control violation on one resource. */
export interface GuardViolation {
  /** The Control Tower control, e.g. `CT.KMS.PR.3`. */
  readonly control: string;
  /** The resource's construct path below the stack, or its logical ID when it has none. */
  readonly path: string;
}

/** Each variant the library is checked in: a stack with one pipeline (and a job) and nothing else of the library. */
export const VARIANTS: Record<string, (stack: Stack) => void> = {
  defaults: (stack) => { new ModerationPipeline(stack, 'Pipeline'); },
  perImage: (stack) => { new ModerationPipeline(stack, 'Pipeline', { engine: ModerationEngine.perImage() }); },
  auto: (stack) => { new ModerationPipeline(stack, 'Pipeline', { engine: ModerationEngine.auto() }); },
  bringYourOwn: (stack) => {
    // The user's resources live under 'Given': the library does not own them.
    new ModerationPipeline(stack, 'Pipeline', {
      inputBucket: s3.Bucket.fromBucketName(stack, 'GivenInput', 'acme-manifests'),
      outputBucket: s3.Bucket.fromBucketName(stack, 'GivenOutput', 'acme-results'),
      encryptionKey: kms.Key.fromKeyArn(stack, 'GivenKey', 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555'),
    });
  },
  moderationJob: (stack) => {
    const pipeline = new ModerationPipeline(stack, 'Pipeline');
    new ModerationJob(stack, 'Job', {
      pipeline,
      manifestBucket: pipeline.inputBucket,
      manifestKey: 'manifests/deploy/batch.jsonl',
      waitForCompletion: true,
    });
  },
  vpc: (stack) => {
    // Every kind of function: both engines (auto), and a job that waits (provider framework and waiter).
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'GivenVpc', {
      vpcId: 'vpc-0123456789abcdef0',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      privateSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
    });
    const pipeline = new ModerationPipeline(stack, 'Pipeline', { engine: ModerationEngine.auto(), vpc });
    new ModerationJob(stack, 'Job', {
      pipeline,
      vpc,
      manifestBucket: pipeline.inputBucket,
      manifestKey: 'manifests/deploy/batch.jsonl',
      waitForCompletion: true,
    });
  },
};

let validator: CfnGuardValidator | undefined;

/** Synthesizes `build` in a new stack and runs the Control Tower proactive rules (cfn-guard) on its template. */
export function guardViolations(build: (stack: Stack) => void): GuardViolation[] {
  const app = new App();
  const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'eu-west-1' } });
  build(stack);
  const templatePath = app.synth().getStackArtifact(stack.artifactId).templateFullPath;
  const paths = constructPaths(stack);
  validator ??= new CfnGuardValidator();
  const found = new Map<string, GuardViolation>();
  for (const violation of validator.validate({ templatePaths: [templatePath], appConstruct: app }).violations) {
    const control = /\[(CT\.[A-Z0-9]+\.PR\.\d+)\]/.exec(violation.description)?.[1] ?? violation.ruleName;
    const located = violation.violatingResources.filter((resource) => resource.resourceLogicalId);
    // cfn-guard sometimes adds an entry without a location beside the located one: count the rule once then.
    const resources = located.length > 0 ? located.map((resource) => paths.get(resource.resourceLogicalId!) ?? resource.resourceLogicalId!) : ['(unlocated)'];
    for (const path of resources) found.set(`${control} ${path}`, { control, path });
  }
  return [...found.values()];
}

/** Logical ID -> construct path below the stack, without a trailing `/Resource`. */
function constructPaths(stack: Stack): Map<string, string> {
  const paths = new Map<string, string>();
  for (const element of stack.node.findAll().filter(CfnElement.isCfnElement)) {
    const path = element.node.path.split('/').slice(1).join('/').replace(/\/Resource$/, '');
    paths.set(stack.resolve(element.logicalId), path);
  }
  return paths;
}
