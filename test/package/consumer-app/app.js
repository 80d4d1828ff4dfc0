// A user's CDK app in plain JavaScript: no TypeScript, no esbuild, no Docker.
const { App, Stack } = require('aws-cdk-lib');
const { ModerationPipeline } = require('cdk-bulk-moderation');

const app = new App({ outdir: process.argv[2] });
const stack = new Stack(app, 'ConsumerStack');
new ModerationPipeline(stack, 'Pipeline', { minConfidence: 70 });
app.synth();
