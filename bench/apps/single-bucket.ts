// Baseline for the synth benchmark: the smallest CDK app, run the same way as the example app.
import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';

const app = new App();
const stack = new Stack(app, 'SingleBucket');
new s3.Bucket(stack, 'Bucket');
app.synth();
