// A user's CDK app in plain JavaScript: no TypeScript, no esbuild, no Docker. It builds every
// construct, engine and optional stage (image ingestion, a moderation policy, a backfill, functions
// in a VPC), so synthesizing it on the lowest supported aws-cdk-lib proves the library finds there
// everything it uses.
const { App, Stack } = require('aws-cdk-lib');
const ec2 = require('aws-cdk-lib/aws-ec2');
const {
  ImageIngestion, ModerationAction, ModerationBackfill, ModerationEngine, ModerationJob, ModerationPipeline,
  ModerationPolicy, ModerationRule, ModerationVpcEndpoints,
} = require('cdk-bulk-moderation');

const app = new App({ outdir: process.argv[2] });
const stack = new Stack(app, 'ConsumerStack');
const pipeline = new ModerationPipeline(stack, 'Pipeline', {
  minConfidence: 70,
  imageIngestion: ImageIngestion.fromPrefix('uploads/'),
  policy: ModerationPolicy.of({
    rules: [ModerationRule.label('Explicit', { minConfidence: 80, actions: [ModerationAction.QUARANTINE, ModerationAction.EVENT] })],
  }),
});
new ModerationPipeline(stack, 'PerImage', { engine: ModerationEngine.perImage() });
new ModerationPipeline(stack, 'Auto', { engine: ModerationEngine.auto() });
new ModerationJob(stack, 'Job', {
  pipeline,
  manifestBucket: pipeline.inputBucket,
  manifestKey: 'manifests/sample.jsonl',
  waitForCompletion: true,
});
new ModerationBackfill(stack, 'Backfill', { pipeline, bucket: pipeline.inputBucket, prefix: 'stored/', startOnDeploy: true });

const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'Private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
ModerationVpcEndpoints.addTo(vpc);
new ModerationPipeline(stack, 'InVpc', { vpc });
app.synth();
