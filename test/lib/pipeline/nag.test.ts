import { App, CfnResource, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, rules } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { ModerationExampleStack } from '../../../bin/moderation-example-stack';
import {
  ImageIngestion, ModerationAction, ModerationBackfill, ModerationEngine, ModerationJob, ModerationPipeline, ModerationPolicy, ModerationRule,
  ModerationVpcEndpoints,
} from '../../../lib';

const ADAPTER_ARN = 'arn:aws:rekognition:eu-west-1:123456789012:project/moderation/version/v1/1700000000000';
const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555';

/** A plain app with the AWS Solutions checks: any unacknowledged finding makes synth throw. */
function nagApp(): App {
  const app = new App();
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

/** Every acknowledgement recorded in the tree below `root`, with the construct it is recorded on. */
function acknowledgements(root: IConstruct): Array<{ path: string; ids: string[]; reasons: unknown[] }> {
  return root.node.findAll().flatMap((construct) => construct.node.metadata
    .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .map((entry) => ({
      path: construct.node.path,
      // aws-cdk-lib qualifies ids without a known prefix as annotations ('Annotation::...'); ids may
      // also carry the plugin's namespace ('AwsSolutions::...').
      ids: Object.keys(entry.data as object).map((id) => id.replace(/^(annotation|AwsSolutions)::/i, '')),
      reasons: Object.values(entry.data as object),
    })));
}

/** The AwsSolutions-IAM5 findings cdk-nag's own rule reports on the IAM resources at or below `path`. */
function wildcardFindingsBelow(root: IConstruct, path: string): string[] {
  return root.node.root.node.findAll()
    .filter((construct): construct is CfnResource => CfnResource.isCfnResource(construct))
    .filter((resource) => resource.node.path === path || resource.node.path.startsWith(`${path}/`))
    .flatMap((resource) => {
      const result = rules.iam.IAMNoWildcardPermissions(resource);
      return Array.isArray(result) ? result.map((finding) => `AwsSolutions-IAM5[${finding}]`) : [];
    });
}

/**
 * Checks that every acknowledgement names one finding of an AWS Solutions rule and gives a reason,
 * and that every AwsSolutions-IAM5 acknowledgement matches a finding of the construct it is on
 * (none acknowledges a wildcard that is not there).
 */
function expectReviewableAcknowledgements(root: IConstruct): void {
  const acks = acknowledgements(root);
  expect(acks.length).toBeGreaterThan(0);
  for (const ack of acks) {
    expect({ path: ack.path, ids: ack.ids }).toEqual({ path: ack.path, ids: [expect.stringMatching(/^AwsSolutions-[A-Z]+\d+/)] });
    const [id] = ack.ids;
    const [reason] = ack.reasons;
    // IAM4 / IAM5 report one finding per policy or wildcard: the acknowledgement must name it.
    if (/^AwsSolutions-IAM[45]/.test(id)) {
      expect(id).toMatch(/^AwsSolutions-IAM[45]\[(Resource|Action|Policy)::.+\]$/);
    }
    expect(typeof reason).toBe('string');
    expect((reason as string).trim().length).toBeGreaterThan(20);
    if (id.startsWith('AwsSolutions-IAM5')) {
      expect({ path: ack.path, id, found: wildcardFindingsBelow(root, ack.path).includes(id) }).toEqual({ path: ack.path, id, found: true });
    }
  }
}

describe('cdk-nag AwsSolutions checks', () => {
  test('pass on the example stack with nothing left unacknowledged', () => {
    // GIVEN
    const app = nagApp();
    const stack = new ModerationExampleStack(app, 'ModerationExample');

    // WHEN / THEN
    expect(() => app.synth()).not.toThrow();
    expectReviewableAcknowledgements(stack);
  });

  test('pass on the example stack with its deploy-time sample job', () => {
    // GIVEN
    const app = nagApp();
    const stack = new ModerationExampleStack(app, 'ModerationExample', { sampleJob: true });

    // WHEN / THEN
    expect(() => app.synth()).not.toThrow();
    expectReviewableAcknowledgements(stack);
  });

  test('pass on a pipeline with buckets, key and image buckets of its own', () => {
    // GIVEN
    const app = nagApp();
    const stack = new Stack(app, 'BringYourOwn');
    const pipeline = new ModerationPipeline(stack, 'Pipeline', {
      inputBucket: s3.Bucket.fromBucketName(stack, 'Input', 'acme-manifests'),
      outputBucket: s3.Bucket.fromBucketName(stack, 'Output', 'acme-results'),
      encryptionKey: kms.Key.fromKeyArn(stack, 'Key', KEY_ARN),
      imageBuckets: [s3.Bucket.fromBucketName(stack, 'Images', 'acme-images')],
    });

    // WHEN / THEN
    expect(() => app.synth()).not.toThrow();
    expectReviewableAcknowledgements(pipeline);
  });

  test('pass on a pipeline with an adapter, acknowledging "*" only for ListMediaAnalysisJobs', () => {
    // GIVEN
    const app = nagApp();
    const stack = new Stack(app, 'Adapter');
    const pipeline = new ModerationPipeline(stack, 'Pipeline', { projectVersion: ADAPTER_ARN, outputPrefix: 'moderated/' });

    // WHEN / THEN
    expect(() => app.synth()).not.toThrow();
    expectReviewableAcknowledgements(pipeline);
    const triggerRole = pipeline.triggerFunction.role!.node.path;
    const triggerAcks = acknowledgements(pipeline).filter((ack) => ack.path === triggerRole);
    const onStar = triggerAcks.filter((ack) => ack.ids.includes('AwsSolutions-IAM5[Resource::*]'));
    expect(onStar).toHaveLength(1);
    const reason = JSON.stringify(onStar[0].reasons);
    expect(reason).toContain('rekognition:ListMediaAnalysisJobs has no resource type');
    expect(reason).not.toContain('StartMediaAnalysisJob');
  });

  test('pass on two pipelines in one stack (sharing the stack-wide bucket-notifications handler)', () => {
    // GIVEN
    const app = nagApp();
    const stack = new Stack(app, 'TwoPipelines');
    new ModerationPipeline(stack, 'Images');
    new ModerationPipeline(stack, 'Avatars', { manifestPrefix: 'avatars/' });

    // WHEN / THEN
    expect(() => app.synth()).not.toThrow();
    expectReviewableAcknowledgements(stack);
  });

  test.each([
    ['perImage', ModerationEngine.perImage()],
    ['auto', ModerationEngine.auto()],
  ])('pass on a pipeline with engine %s and a job that waits, each acknowledgement matching a finding', (_name, engine) => {
    // GIVEN
    const app = nagApp();
    const stack = new Stack(app, 'Engine');
    const pipeline = new ModerationPipeline(stack, 'Pipeline', { engine });
    new ModerationJob(stack, 'Job', { pipeline, engine, manifestBucket: pipeline.inputBucket, manifestKey: 'manifests/deploy.jsonl', waitForCompletion: true });

    // WHEN / THEN
    expect(() => app.synth()).not.toThrow();
    expectReviewableAcknowledgements(stack);
  });

  test('pass with every function in a VPC (engine auto with ingestion and a policy, a job that waits, a backfill started on deploy), the endpoints added by ModerationVpcEndpoints', () => {
    // GIVEN
    const app = nagApp();
    const stack = new Stack(app, 'InVpc');
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-0123456789abcdef0',
      vpcCidrBlock: '10.0.0.0/16',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      privateSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
      privateSubnetRouteTableIds: ['rtb-0123456789abcdef0', 'rtb-0123456789abcdef1'],
    });
    ModerationVpcEndpoints.addTo(vpc);
    const pipeline = new ModerationPipeline(stack, 'Pipeline', {
      engine: ModerationEngine.auto(),
      vpc,
      imageIngestion: ImageIngestion.fromPrefix('uploads/'),
      policy: ModerationPolicy.of({ rules: [ModerationRule.label('Explicit', { minConfidence: 80, actions: [ModerationAction.QUARANTINE, ModerationAction.EVENT] })] }),
    });
    const job = new ModerationJob(stack, 'Job', { pipeline, vpc, manifestBucket: pipeline.inputBucket, manifestKey: 'manifests/deploy.jsonl', waitForCompletion: true });
    const backfill = new ModerationBackfill(stack, 'Backfill', { pipeline, vpc, bucket: pipeline.inputBucket, prefix: 'stored/', startOnDeploy: true });

    // WHEN / THEN
    expect(() => app.synth()).not.toThrow();
    expectReviewableAcknowledgements(pipeline);
    expectReviewableAcknowledgements(job);
    expectReviewableAcknowledgements(backfill);
  });

  test('acknowledge no "*" on the trigger role when it starts no bulk analysis job (engine perImage)', () => {
    // GIVEN
    const app = nagApp();
    const stack = new Stack(app, 'PerImage');
    const pipeline = new ModerationPipeline(stack, 'Pipeline', { engine: ModerationEngine.perImage() });

    // WHEN
    app.synth();

    // THEN
    const triggerRole = pipeline.triggerFunction.role!.node.path;
    const triggerAcks = acknowledgements(pipeline).filter((ack) => ack.path === triggerRole).flatMap((ack) => ack.ids);
    expect(triggerAcks).not.toContain('AwsSolutions-IAM5[Resource::*]');
    expect(triggerAcks).toContain(`AwsSolutions-IAM5[Resource::<${stack.getLogicalId(pipeline.inputBucket.node.defaultChild as CfnResource)}.Arn>/*]`);
  });

  test('are live: a wildcard the pipeline did not acknowledge, on its own trigger role, fails synth', () => {
    // GIVEN
    const app = nagApp();
    const stack = new Stack(app, 'NegativeControl');
    const pipeline = new ModerationPipeline(stack, 'Pipeline');

    // WHEN
    pipeline.triggerFunction.addToRolePolicy(new iam.PolicyStatement({
      actions: ['s3:Get*'],
      resources: [pipeline.inputBucket.arnForObjects('manifests/*')],
    }));

    // THEN
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5\[Action::s3:Get\*\]/);
  });
});
