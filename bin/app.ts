#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { ModerationExampleStack } from './moderation-example-stack';

const app = new App();
new ModerationExampleStack(app, 'ModerationExample', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  // `cdk deploy -c sampleJob=true` ships a sample manifest and moderates it during the deployment.
  sampleJob: app.node.tryGetContext('sampleJob') === 'true' || app.node.tryGetContext('sampleJob') === true,
});
