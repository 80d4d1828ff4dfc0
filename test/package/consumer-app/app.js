// A user's CDK app in plain JavaScript: no TypeScript, no esbuild, no Docker. It builds every
// construct and engine, so synthesizing it on the lowest supported aws-cdk-lib proves the library
// finds there everything it uses.
const { App, Stack } = require('aws-cdk-lib');
const { ModerationEngine, ModerationJob, ModerationPipeline } = require('cdk-bulk-moderation');

const app = new App({ outdir: process.argv[2] });
const stack = new Stack(app, 'ConsumerStack');
const pipeline = new ModerationPipeline(stack, 'Pipeline', { minConfidence: 70 });
new ModerationPipeline(stack, 'PerImage', { engine: ModerationEngine.perImage() });
new ModerationPipeline(stack, 'Auto', { engine: ModerationEngine.auto() });
new ModerationJob(stack, 'Job', {
  pipeline,
  manifestBucket: pipeline.inputBucket,
  manifestKey: 'manifests/sample.jsonl',
  waitForCompletion: true,
});
app.synth();
