import * as fs from 'fs';
import * as path from 'path';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import * as logs from 'aws-cdk-lib/aws-logs';
import { ModerationEngine, ModerationJob, ModerationPipeline } from '../../../lib';
import { VARIANTS } from './control-tower-support';

/**
 * aws-cdk-lib's built-in CloudFormation template validation, which every consumer's synth runs.
 * The unit tier turns it off for the other tests (test/support/no-template-validation.js); here it
 * runs on each variant and any finding, warning or error, fails.
 */
const CONFIGURATIONS: Record<string, (stack: Stack) => void> = {
  ...VARIANTS,
  customProps: (stack) => {
    new ModerationPipeline(stack, 'Pipeline', {
      manifestPrefix: '',
      manifestSuffixes: ['.txt'],
      outputBucketVersioned: false,
      minConfidence: 0,
      removalPolicy: RemovalPolicy.DESTROY,
      triggerBatchSize: 10,
      triggerMaxConcurrency: 7,
      triggerTimeout: Duration.minutes(2),
      maxReceiveCount: 20,
      logRetention: logs.RetentionDays.ONE_MONTH,
      createCompletionTopic: true,
      dashboardEnabled: true,
    });
  },
  perImageModerationJob: (stack) => {
    const pipeline = new ModerationPipeline(stack, 'Pipeline', { engine: ModerationEngine.perImage() });
    new ModerationJob(stack, 'Job', {
      pipeline,
      manifestBucket: pipeline.inputBucket,
      manifestKey: 'manifests/deploy/batch.jsonl',
      waitForCompletion: true,
    });
  },
};

const PLUGIN = 'CloudFormation Validate';

/** Each finding of the built-in validation on a stack built by `build`, as `rule path: description`. */
function templateFindings(build: (stack: Stack) => void): string[] {
  const app = new App({ context: { [cxapi.FAIL_SYNTH_ON_VALIDATION_ERRORS_CONTEXT]: false } });
  const stack = new Stack(app, 'Stack');
  build(stack);
  const report = JSON.parse(fs.readFileSync(path.join(app.synth().directory, cxapi.VALIDATION_REPORT_FILE), 'utf8'));
  // A clean run leaves no report of the plugin: the last test shows that it does run.
  const violations = report.pluginReports.find((r: any) => r.pluginName === PLUGIN)?.violations ?? [];
  return violations.flatMap((violation: any) => violation.violatingConstructs
    .map((construct: any) => `${violation.ruleName} ${construct.constructPath}: ${violation.description}`));
}

describe('aws-cdk-lib template validation', () => {
  const saved = process.env.CDK_VALIDATION;
  beforeAll(() => { delete process.env.CDK_VALIDATION; });
  afterAll(() => { process.env.CDK_VALIDATION = saved; });

  test.each(Object.keys(CONFIGURATIONS))('%s: finds nothing', (name) => {
    expect(templateFindings(CONFIGURATIONS[name])).toEqual([]);
  });

  test('runs here and reports what it finds (so an empty list above means a clean template)', () => {
    const findings = templateFindings((stack) => {
      new ModerationPipeline(stack, 'Pipeline');
      new logs.CfnLogGroup(stack, 'Broken', { retentionInDays: 2 });
    });
    expect(findings).toEqual([expect.stringMatching(/^\S+ Stack\/Broken: .*RetentionInDays/)]);
  });
});
