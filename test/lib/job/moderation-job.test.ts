import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ModerationJob, ModerationPipeline } from '../../../lib';
import { ModerationJobAttribute, ModerationJobProperty } from '../../../lib/job/moderation-job-contract';
import { definitionFromTemplate } from '../../support/local-state-machine';
import { arnOf, asArray, logicalId, resolve, resourceProperties } from '../../support/synth-helpers';

const ADAPTER_ARN = 'arn:aws:rekognition:eu-west-1:123456789012:project/moderation/version/v1/1700000000000';
const OTHER_ADAPTER_ARN = 'arn:aws:rekognition:eu-west-1:123456789012:project/moderation/version/v2/1800000000000';
const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555';

/** Every action the statements allow, with the resources they allow it on. */
function allowedActions(statements: any[]): Array<{ action: string; resources: unknown[]; condition?: unknown }> {
  return statements
    .filter((s) => s.Effect === 'Allow')
    .flatMap((s) => asArray<string>(s.Action).map((action) => ({ action, resources: asArray(s.Resource), condition: s.Condition })));
}

/** The one function of the template with `handler` (index.onEvent / index.isComplete), if any. */
function functionWithHandler(template: Template, handler: string): { id: string; properties: any } | undefined {
  const found = Object.entries(template.findResources('AWS::Lambda::Function'))
    .filter(([, fn]: [string, any]) => fn.Properties.Handler === handler);
  if (found.length > 1) throw new Error(`several functions with handler ${handler}`);
  return found.length === 0 ? undefined : { id: found[0][0], properties: (found[0][1] as any).Properties };
}

/** `arn:<partition>:s3:::<bucket>/<keys>` as the template writes it for an imported bucket. */
function importedObjectsArn(bucketName: string, keys: string): unknown {
  return { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::${bucketName}/${keys}`]] };
}

function roleIdOf(fn: { properties: any }): string {
  return fn.properties.Role['Fn::GetAtt'][0];
}

function statementsOfRole(template: Template, roleId: string): any[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy: any) => (policy.Properties.Roles ?? []).some((r: any) => r.Ref === roleId))
    .flatMap((policy: any) => policy.Properties.PolicyDocument.Statement);
}

describe('ModerationJob with a pipeline and waitForCompletion', () => {
  let stack: Stack;
  let template: Template;
  let pipeline: ModerationPipeline;
  let job: ModerationJob;
  let resource: any;
  let ids: { job: string; key: string; output: string; input: string };

  beforeAll(() => {
    // GIVEN
    stack = new Stack(new App(), 'Stack');
    pipeline = new ModerationPipeline(stack, 'Pipeline', {
      minConfidence: 60,
      projectVersion: ADAPTER_ARN,
      jobNamePrefix: 'acme.',
      outputPrefix: 'moderated/',
      imageBuckets: [s3.Bucket.fromBucketName(stack, 'Images', 'acme-images')],
    });

    // WHEN
    job = new ModerationJob(stack, 'Job', {
      pipeline,
      manifestBucket: s3.Bucket.fromBucketName(stack, 'Manifests', 'acme-manifests'),
      manifestKey: 'deploy/batch.jsonl',
      manifestVersion: 'v1',
      waitForCompletion: true,
    });

    // THEN
    template = Template.fromStack(stack);
    ids = {
      job: logicalId(job.resource),
      key: logicalId(pipeline.encryptionKey),
      output: logicalId(pipeline.outputBucket),
      input: logicalId(pipeline.inputBucket),
    };
    resource = template.toJSON().Resources[ids.job];
  });

  describe('custom resource', () => {
    test('is a Custom::RekognitionModerationJob served by the provider framework', () => {
      expect(resource.Type).toBe('Custom::RekognitionModerationJob');
      const frameworkOnEvent = logicalId(job.node.findChild('Provider').node.findChild('framework-onEvent'));
      expect(resource.Properties.ServiceToken).toEqual(arnOf(frameworkOnEvent));
    });

    test('takes the output bucket and prefix, key, adapter and job name prefix from the pipeline', () => {
      const { ServiceToken: _token, MinConfidence: _minConfidence, ...properties } = resource.Properties;
      expect(properties).toEqual({
        ManifestBucket: 'acme-manifests',
        ManifestKey: 'deploy/batch.jsonl',
        ManifestVersion: 'v1',
        OutputBucket: { Ref: ids.output },
        OutputPrefix: 'moderated/',
        KmsKeyId: arnOf(ids.key),
        ProjectVersion: ADAPTER_ARN,
        JobNamePrefix: 'acme.',
        WaitForCompletion: 'true',
      });
    });

    test('takes minConfidence from the pipeline (60)', () => {
      expect(String(resource.Properties.MinConfidence)).toBe('60');
    });

    // BUG (lib/moderation-job.ts): MinConfidence is Token.asString(minConfidence), which for a plain
    // number is a token that resolves to the number 60, so the template holds `"MinConfidence": 60`,
    // not the string the properties contract (lib/job/moderation-job-contract.ts: "a number
    // from 0 to 100 written as a string") promises. CloudFormation stringifies custom-resource
    // properties, so a real deployment still works, but the handler's parseProperties rejects the
    // template value as it is ("MinConfidence must be a string (given 60)") in any local run that
    // feeds it the synthesized properties.
    test('writes every property as a string (MinConfidence \'60\')', () => {
      expect(resource.Properties.MinConfidence).toBe('60');
    });

    test('uses only property names of the handlers\' contract', () => {
      const allowed = new Set<string>([...Object.values(ModerationJobProperty), 'ServiceToken']);
      expect(Object.keys(resource.Properties).filter((name) => !allowed.has(name))).toEqual([]);
    });
  });

  describe('handlers', () => {
    test('runs onEvent and isComplete from the same bundled asset, on nodejs24.x / arm64', () => {
      const onEvent = functionWithHandler(template, 'index.onEvent')!;
      const isComplete = functionWithHandler(template, 'index.isComplete')!;
      for (const fn of [onEvent, isComplete]) {
        expect(fn.properties).toEqual(expect.objectContaining({
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          Code: expect.objectContaining({ S3Key: expect.stringMatching(/^[0-9a-f]{64}\.zip$/) }),
        }));
      }
      expect(onEvent.properties.Code).toEqual(isComplete.properties.Code);
      expect(roleIdOf(onEvent)).not.toBe(roleIdOf(isComplete));
    });

    test('lets onEvent start jobs with the adapter only, read the manifest and the pipeline\'s image buckets, write under the output prefix, use the key, and start its tracking', () => {
      const statements = statementsOfRole(template, roleIdOf(functionWithHandler(template, 'index.onEvent')!));
      const actions = allowedActions(statements);
      expect(actions.filter((a) => a.action.startsWith('rekognition:'))).toEqual([
        { action: 'rekognition:StartMediaAnalysisJob', resources: [ADAPTER_ARN], condition: undefined },
      ]);
      const reads = actions.filter((a) => a.action.startsWith('s3:Get'));
      expect(reads.map((a) => a.action).sort()).toEqual(['s3:GetObject', 's3:GetObjectVersion']);
      for (const read of reads) {
        expect(read.resources).toEqual([
          importedObjectsArn('acme-manifests', '*'),
          { 'Fn::Join': ['', [arnOf(ids.input), '/*']] },
          importedObjectsArn('acme-images', '*'),
        ]);
      }
      expect(actions.filter((a) => a.action === 's3:PutObject')).toEqual([
        { action: 's3:PutObject', resources: [{ 'Fn::Join': ['', [arnOf(ids.output), '/moderated/*']] }], condition: undefined },
      ]);
      const keyActions = actions.filter((a) => a.action.startsWith('kms:'));
      expect(keyActions.map((a) => a.action).sort()).toEqual(['kms:CreateGrant', 'kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKey']);
      for (const grant of keyActions) expect(grant.resources).toEqual([arnOf(ids.key)]);
      expect(keyActions.find((a) => a.action === 'kms:CreateGrant')!.condition).toEqual({ Bool: { 'kms:GrantIsForAWSResource': 'true' } });
      // And the tracking execution that reports the job (reportCompletion), on that state machine only.
      const others = actions.filter((a) => !/^(rekognition|s3|kms|logs):/.test(a.action));
      expect(others).toEqual([
        { action: 'states:StartExecution', resources: [{ Ref: logicalId(pipeline.trackingStateMachine) }], condition: undefined },
      ]);
    });

    test('lets isComplete read job status (GetMediaAnalysisJob on "*") and nothing else but its logs', () => {
      const statements = statementsOfRole(template, roleIdOf(functionWithHandler(template, 'index.isComplete')!));
      const actions = allowedActions(statements).filter((a) => !a.action.startsWith('logs:'));
      expect(actions).toEqual([{ action: 'rekognition:GetMediaAnalysisJob', resources: ['*'], condition: undefined }]);
    });
  });

  describe('provider', () => {
    test('waits at most 1 hour, checking every minute (the waiter retries isComplete 60 times, 60 s apart)', () => {
      const waiter = logicalId(job.node.findChild('Provider').node.findChild('waiter-state-machine'));
      const definition: any = definitionFromTemplate(template, { stateMachine: waiter, render: 'symbolic' });
      const isCompleteTask: any = Object.values(definition.States).find((state: any) => state.Retry);
      expect(isCompleteTask.Retry).toEqual([{ ErrorEquals: ['States.ALL'], IntervalSeconds: 60, MaxAttempts: 60, BackoffRate: 1 }]);
    });

    test('logs every waiter step (level ALL) to the provider log group', () => {
      const providerLogs = logicalId(job.node.findChild('ProviderLogs'));
      const waiter = logicalId(job.node.findChild('Provider').node.findChild('waiter-state-machine'));
      expect(resourceProperties(template, waiter).LoggingConfiguration).toEqual(expect.objectContaining({
        Level: 'ALL',
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: arnOf(providerLogs) } }],
      }));
    });
  });

  describe('attributes', () => {
    test.each<[keyof ModerationJob, string]>([
      ['jobId', ModerationJobAttribute.JOB_ID],
      ['jobName', ModerationJobAttribute.JOB_NAME],
      ['outputPrefix', ModerationJobAttribute.OUTPUT_PREFIX],
      ['resultsLocation', ModerationJobAttribute.RESULTS_LOCATION],
      ['summaryLocation', ModerationJobAttribute.SUMMARY_LOCATION],
    ])('exposes %s as Fn::GetAtt %s', (attribute, name) => {
      expect(resolve(stack, job[attribute])).toEqual({ 'Fn::GetAtt': [ids.job, name] });
    });
  });
});

describe('ModerationJob without a pipeline and without waiting', () => {
  let stack: Stack;
  let template: Template;
  let job: ModerationJob;
  let resource: any;

  beforeAll(() => {
    // GIVEN
    stack = new Stack(new App(), 'Stack');

    // WHEN
    job = new ModerationJob(stack, 'Job', {
      outputBucket: s3.Bucket.fromBucketName(stack, 'Results', 'acme-results'),
      manifestBucket: s3.Bucket.fromBucketName(stack, 'Manifests', 'acme-manifests'),
      manifestKey: 'batch.jsonl',
    });

    // THEN
    template = Template.fromStack(stack);
    resource = template.toJSON().Resources[logicalId(job.resource)];
  });

  test('passes only the manifest, the output location (default prefix results/) and WaitForCompletion \'false\'', () => {
    const { ServiceToken: _token, ...properties } = resource.Properties;
    expect(properties).toEqual({
      ManifestBucket: 'acme-manifests',
      ManifestKey: 'batch.jsonl',
      OutputBucket: 'acme-results',
      OutputPrefix: 'results/',
      WaitForCompletion: 'false',
    });
  });

  test('has no isComplete handler and no waiter state machine', () => {
    expect(functionWithHandler(template, 'index.isComplete')).toBeUndefined();
    expect(job.node.findChild('Provider').node.tryFindChild('waiter-state-machine')).toBeUndefined();
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 0);
  });

  test('lets onEvent start jobs on "*" (no adapter), read the manifest bucket, write under results/, and use no key', () => {
    const statements = statementsOfRole(template, roleIdOf(functionWithHandler(template, 'index.onEvent')!));
    const actions = allowedActions(statements).filter((a) => !a.action.startsWith('logs:'));
    expect(actions).toEqual([
      { action: 'rekognition:StartMediaAnalysisJob', resources: ['*'], condition: undefined },
      { action: 's3:GetObject', resources: [importedObjectsArn('acme-manifests', '*')], condition: undefined },
      { action: 's3:GetObjectVersion', resources: [importedObjectsArn('acme-manifests', '*')], condition: undefined },
      { action: 's3:PutObject', resources: [importedObjectsArn('acme-results', 'results/*')], condition: undefined },
    ]);
  });

  test('exposes jobId, jobName and outputPrefix, but no results or summary location', () => {
    expect(resolve(stack, job.jobId)).toEqual({ 'Fn::GetAtt': [logicalId(job.resource), ModerationJobAttribute.JOB_ID] });
    expect(resolve(stack, job.jobName)).toEqual({ 'Fn::GetAtt': [logicalId(job.resource), ModerationJobAttribute.JOB_NAME] });
    expect(resolve(stack, job.outputPrefix)).toEqual({ 'Fn::GetAtt': [logicalId(job.resource), ModerationJobAttribute.OUTPUT_PREFIX] });
    expect(job.resultsLocation).toBeUndefined();
    expect(job.summaryLocation).toBeUndefined();
  });
});

describe('ModerationJob with explicit props and a pipeline', () => {
  let stack: Stack;
  let template: Template;
  let job: ModerationJob;
  let pipeline: ModerationPipeline;
  let resource: any;

  beforeAll(() => {
    // GIVEN
    stack = new Stack(new App(), 'Stack');
    pipeline = new ModerationPipeline(stack, 'Pipeline', { minConfidence: 60, projectVersion: ADAPTER_ARN, outputPrefix: 'moderated/' });

    // WHEN
    job = new ModerationJob(stack, 'Job', {
      pipeline,
      manifestBucket: pipeline.inputBucket,
      manifestKey: 'deploy/batch.jsonl',
      outputBucket: s3.Bucket.fromBucketName(stack, 'Other', 'acme-other-results'),
      outputPrefix: 'deploy-time/',
      encryptionKey: kms.Key.fromKeyArn(stack, 'OtherKey', KEY_ARN),
      minConfidence: 0,
      projectVersion: OTHER_ADAPTER_ARN,
      jobName: 'sample-job.v1',
    });

    // THEN
    template = Template.fromStack(stack);
    resource = template.toJSON().Resources[logicalId(job.resource)];
  });

  test('lets the explicit props win over the pipeline\'s (minConfidence 0 included)', () => {
    expect(resource.Properties).toEqual(expect.objectContaining({
      OutputBucket: 'acme-other-results',
      OutputPrefix: 'deploy-time/',
      KmsKeyId: KEY_ARN,
      ProjectVersion: OTHER_ADAPTER_ARN,
      JobName: 'sample-job.v1',
      WaitForCompletion: 'false',
    }));
    expect(String(resource.Properties.MinConfidence)).toBe('0');
  });

  test('grants the onEvent role the explicit adapter, output location and key, not the pipeline\'s', () => {
    const actions = allowedActions(statementsOfRole(template, roleIdOf(functionWithHandler(template, 'index.onEvent')!)));
    expect(actions.filter((a) => a.action === 'rekognition:StartMediaAnalysisJob').flatMap((a) => a.resources)).toEqual([OTHER_ADAPTER_ARN]);
    expect(actions.filter((a) => a.action === 's3:PutObject').flatMap((a) => a.resources)).toEqual([
      importedObjectsArn('acme-other-results', 'deploy-time/*'),
    ]);
    for (const grant of actions.filter((a) => a.action.startsWith('kms:') && a.action !== 'kms:Decrypt')) expect(grant.resources).toEqual([KEY_ARN]);
    // Decrypt: the job's key, and the pipeline's key that encrypts the manifest it reads
    const decryptKeys = actions.filter((a) => a.action === 'kms:Decrypt').flatMap((a) => a.resources);
    expect(decryptKeys).toEqual(expect.arrayContaining([KEY_ARN, { 'Fn::GetAtt': [expect.stringMatching(/^PipelineKey/), 'Arn'] }]));
    expect(decryptKeys).toHaveLength(2);
  });

  test('reads the manifest from the pipeline\'s input bucket, listed once', () => {
    const actions = allowedActions(statementsOfRole(template, roleIdOf(functionWithHandler(template, 'index.onEvent')!)));
    const inputId = logicalId(pipeline.inputBucket);
    for (const read of actions.filter((a) => a.action.startsWith('s3:Get'))) {
      expect(read.resources).toEqual([{ 'Fn::Join': ['', [arnOf(inputId), '/*']] }]);
    }
  });
});

describe('ModerationJob with a custom completionTimeout and pollInterval', () => {
  test('waits completionTimeout, checking every pollInterval', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Stack');

    // WHEN
    const job = new ModerationJob(stack, 'Job', {
      outputBucket: s3.Bucket.fromBucketName(stack, 'Results', 'acme-results'),
      manifestBucket: s3.Bucket.fromBucketName(stack, 'Manifests', 'acme-manifests'),
      manifestKey: 'batch.jsonl',
      waitForCompletion: true,
      completionTimeout: Duration.minutes(30),
      pollInterval: Duration.seconds(30),
    });

    // THEN
    const template = Template.fromStack(stack);
    const waiter = logicalId(job.node.findChild('Provider').node.findChild('waiter-state-machine'));
    const definition: any = definitionFromTemplate(template, { stateMachine: waiter, render: 'symbolic' });
    const isCompleteTask: any = Object.values(definition.States).find((state: any) => state.Retry);
    expect(isCompleteTask.Retry).toEqual([{ ErrorEquals: ['States.ALL'], IntervalSeconds: 30, MaxAttempts: 60, BackoffRate: 1 }]);
    expect(resolve(stack, job.resultsLocation)).toEqual({ 'Fn::GetAtt': [logicalId(job.resource), ModerationJobAttribute.RESULTS_LOCATION] });
  });
});

describe('ModerationJob with a manifest bucket encrypted with a key of its own', () => {
  // GAP (lib/moderation-job.ts): Rekognition reads the manifest with the caller's (onEvent role's)
  // permissions, and FACTS asks for kms:Decrypt on SSE-KMS input. The onEvent role gets key
  // permissions only for the job's KmsKeyId; a manifest bucket encrypted with another key (known
  // here as manifestBucket.encryptionKey) gets no kms:Decrypt, so the job cannot read the manifest.
  // (The pipeline documents the same limitation for imageBuckets; ModerationJob documents nothing.)
  test('lets onEvent decrypt the manifest with that key', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Stack');
    const manifestKey = new kms.Key(stack, 'ManifestKey');
    const manifests = new s3.Bucket(stack, 'Manifests', { encryption: s3.BucketEncryption.KMS, encryptionKey: manifestKey });

    // WHEN
    new ModerationJob(stack, 'Job', {
      outputBucket: s3.Bucket.fromBucketName(stack, 'Results', 'acme-results'),
      manifestBucket: manifests,
      manifestKey: 'batch.jsonl',
    });

    // THEN
    const template = Template.fromStack(stack);
    const actions = allowedActions(statementsOfRole(template, roleIdOf(functionWithHandler(template, 'index.onEvent')!)));
    expect(actions).toContainEqual(expect.objectContaining({ action: 'kms:Decrypt', resources: [arnOf(logicalId(manifestKey))] }));
  });
});

describe('ModerationJob under the cdk-nag AwsSolutions checks', () => {
  function nagApp(): App {
    const app = new App();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    return app;
  }

  test('passes for a job with a pipeline and waitForCompletion, manifest in another bucket', () => {
    // GIVEN
    const app = nagApp();
    const stack = new Stack(app, 'JobWithPipeline');
    const pipeline = new ModerationPipeline(stack, 'Pipeline');

    // WHEN
    new ModerationJob(stack, 'Job', {
      pipeline,
      manifestBucket: s3.Bucket.fromBucketName(stack, 'Manifests', 'acme-manifests'),
      manifestKey: 'deploy/batch.jsonl',
      waitForCompletion: true,
    });

    // THEN
    expect(() => app.synth()).not.toThrow();
  });

  test('passes for a job without a pipeline that does not wait (outputBucket only)', () => {
    // GIVEN
    const app = nagApp();
    const stack = new Stack(app, 'StandaloneJob');

    // WHEN
    new ModerationJob(stack, 'Job', {
      outputBucket: s3.Bucket.fromBucketName(stack, 'Results', 'acme-results'),
      manifestBucket: s3.Bucket.fromBucketName(stack, 'Manifests', 'acme-manifests'),
      manifestKey: 'batch.jsonl',
    });

    // THEN
    expect(() => app.synth()).not.toThrow();
  });

  test('are live on a job: a wildcard it did not acknowledge, on its onEvent role, fails synth', () => {
    // GIVEN
    const app = nagApp();
    const stack = new Stack(app, 'NegativeControl');
    const job = new ModerationJob(stack, 'Job', {
      outputBucket: s3.Bucket.fromBucketName(stack, 'Results', 'acme-results'),
      manifestBucket: s3.Bucket.fromBucketName(stack, 'Manifests', 'acme-manifests'),
      manifestKey: 'batch.jsonl',
    });

    // WHEN
    const onEventRole = job.node.findChild('OnEvent').node.findChild('Role') as iam.Role;
    onEventRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:List*'], resources: ['arn:aws:s3:::acme-results'] }));

    // THEN
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5\[Action::s3:List\*\]/);
  });
});
