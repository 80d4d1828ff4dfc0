import { App, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PerImageWorkflow } from '../../../lib/per-image/per-image-workflow';
import type { PerImageWorkflowProps } from '../../../lib/per-image/per-image-workflow-props';
import { sizePerImageRun } from '../../../lib/per-image/per-image-contract';
import type { BatchInput, FinalizeInput, PrepareInput, WorkRound } from '../../../lib/per-image/per-image-workflow-contract';
import { functionIdOf, perImageDefinition } from '../../support/per-image/definition';
import { asArray, logicalId, roleStatements, statementsGranting } from '../../support/synth-helpers';

const ADAPTER = 'arn:aws:rekognition:us-east-1:123456789012:project/moderation/version/v1/1700000000000';
const TRACKER = 'arn:aws:lambda:us-east-1:123456789012:function:pipeline-tracker';

interface Built {
  readonly stack: Stack;
  readonly workflow: PerImageWorkflow;
  readonly template: Template;
  readonly definition: any;
}

function build(overrides: Partial<PerImageWorkflowProps> = {}, app = new App(), beforeSynth?: (workflow: PerImageWorkflow) => void): Built {
  const stack = new Stack(app, 'Stack');
  const workflow = new PerImageWorkflow(stack, 'PerImage', { ...baseProps(stack), ...overrides });
  beforeSynth?.(workflow);
  // Synthesizes the app: with cdk-nag added, an unacknowledged finding throws here.
  const template = Template.fromStack(stack);
  return { stack, workflow, template, definition: perImageDefinition(template) };
}

const synthesized = new Map<string, Built>();

/**
 * The one synthesized workflow of a configuration (plain app, nothing added before synth), shared by
 * the tests that only read it: a synth per test repeated the same work.
 */
function shared(overrides: Partial<PerImageWorkflowProps> = {}): Built {
  const key = JSON.stringify(overrides);
  if (!synthesized.has(key)) synthesized.set(key, build(overrides));
  return synthesized.get(key)!;
}

function baseProps(stack: Stack): PerImageWorkflowProps {
  const input = s3.Bucket.fromBucketName(stack, 'Input', 'acme-manifests');
  return {
    outputBucket: s3.Bucket.fromBucketName(stack, 'Output', 'acme-results'),
    outputPrefix: 'results/',
    encryptionKey: new kms.Key(stack, 'Key', { enableKeyRotation: true }),
    imageBuckets: [input, s3.Bucket.fromBucketName(stack, 'Images', 'acme-images')],
    manifestBucket: input,
    manifestPrefix: 'manifests/',
    imagesPerSecond: 20,
    maxFailureShare: 0.1,
    timeout: Duration.days(1),
    trackerFunction: lambda.Function.fromFunctionArn(stack, 'Tracker', TRACKER),
    logRetention: logs.RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.DESTROY,
  };
}

const mapOf = (definition: any) => definition.States.AnalyseImages;

describe('state machine', () => {
  test('is a Standard workflow with X-Ray tracing, ALL logging and the given timeout', () => {
    const { template, workflow } = shared({ timeout: Duration.hours(12) });

    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true, Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [logicalId(workflow.logGroup), 'Arn'] } } }] },
    });
    expect(shared({ timeout: Duration.hours(12) }).definition.TimeoutSeconds).toBe(43_200);
  });

  test('each handler task fills exactly the fields of its handler\'s input type (per-image-workflow-contract.ts)', () => {
    // GIVEN an input of each type, every field set (the compiler requires each one)
    const location = { bucket: 'b', key: 'k' };
    const work: WorkRound = { round: 1, items: location, mapResults: [], waitSeconds: 0, itemsPerBatch: 1 };
    const prepareInput: Required<PrepareInput> = { token: 't', manifest: location, output: { bucket: 'b', prefix: 'p' }, startedAt: 's', executionArn: 'e' };
    const finalizeInput: Required<FinalizeInput> = {
      token: 't', output: { bucket: 'b', prefix: 'p' }, work, mapRun: {}, startedAt: 's', executionArn: 'e',
      prepared: { accepted: true, totalLines: 1, validLines: 1, invalidLines: 0, items: location, invalid: location, mapResultsPrefix: 'm', work },
    };
    const batchInput: Required<BatchInput> = { output: { bucket: 'b', prefix: 'p' }, round: 1 };
    const fields = (input: object) => Object.keys(input).map((name) => `${name}.$`).sort();

    // WHEN
    const states = shared().definition.States;

    // THEN
    expect(Object.keys(states.Prepare.Parameters).sort()).toEqual(fields(prepareInput));
    expect(Object.keys(states.Finalize.Parameters).sort()).toEqual(fields(finalizeInput));
    expect(Object.keys(mapOf(shared().definition).ItemBatcher.BatchInput).sort()).toEqual(fields(batchInput));
  });

  test('prepares, maps, finalizes (looping for more rounds), then tracks and publishes; any error is described as a FAILED job', () => {
    const { definition } = shared();
    const states = definition.States;

    expect(definition.StartAt).toBe('Prepare');
    expect(states.Prepare).toMatchObject({ Type: 'Task', ResultPath: '$.prepared', Next: 'ManifestAccepted?', Parameters: {
      'token.$': '$.token', 'manifest.$': '$.manifest', 'output.$': '$.output', 'startedAt.$': '$$.Execution.StartTime', 'executionArn.$': '$$.Execution.Id',
    } });
    expect(states['ManifestAccepted?'].Choices).toEqual([{ Variable: '$.prepared.accepted', BooleanEquals: true, Next: 'FirstRound' }]);
    expect(states['ManifestAccepted?'].Default).toBe('UseRejection');
    expect(states.FirstRound).toMatchObject({ InputPath: '$.prepared.work', ResultPath: '$.work', Next: 'AnalyseImages' });
    expect(mapOf(definition)).toMatchObject({ ResultPath: '$.map', Next: 'Finalize' });
    expect(states.Finalize).toMatchObject({ ResultPath: '$.collect', Next: 'AllLinesDone?', Parameters: expect.objectContaining({ 'work.$': '$.work', 'mapRun.$': '$.map', 'prepared.$': '$.prepared' }) });
    expect(states['AllLinesDone?']).toMatchObject({ Choices: [{ Variable: '$.collect.done', BooleanEquals: true, Next: 'UseJobDescription' }], Default: 'NextRound' });
    expect(states.NextRound).toMatchObject({ InputPath: '$.collect.work', ResultPath: '$.work', Next: 'BeforeNextRound' });
    expect(states.BeforeNextRound).toMatchObject({ Type: 'Wait', SecondsPath: '$.work.waitSeconds', Next: 'AnalyseImages' });
    for (const name of ['UseRejection', 'UseJobDescription', 'DescribeFailure']) {
      expect(states[name]).toMatchObject({ Type: 'Pass', ResultPath: '$.jobDescription', Next: 'TrackCompletion' });
    }
    for (const name of ['Prepare', 'AnalyseImages', 'Finalize']) {
      expect(states[name].Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'DescribeFailure' }]);
    }
    expect(states.DescribeFailure.Parameters).toEqual({
      'JobId.$': '$$.Execution.Id',
      'Status': 'FAILED',
      'FailureDetails': { 'Code.$': '$.error.Error', 'Message.$': '$.error.Cause' },
      'CreationTimestamp.$': '$$.Execution.StartTime',
      'CompletionTimestamp.$': '$$.State.EnteredTime',
    });
    // the tracker gets the whole state (the TrackingInput fields and jobDescription)
    expect(states.TrackCompletion).toMatchObject({ Type: 'Task', Resource: TRACKER, ResultPath: '$.step', Next: 'PublishCompletion' });
    expect(states.TrackCompletion.Parameters).toBeUndefined();
    expect(states.TrackCompletion.InputPath).toBeUndefined();
    expect(states.PublishCompletion.Parameters.Entries[0]['Detail.$']).toBe('$.step.detail');
  });

  test('maps over the round\'s items file with a Distributed Map in Express children, batched, writing its results to S3', () => {
    const { definition } = shared({ imagesPerSecond: 20 });

    expect(mapOf(definition)).toMatchObject({
      Type: 'Map',
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' }, StartAt: 'AnalyseBatch' },
      ItemReader: {
        Resource: 'arn:aws:states:::s3:getObject',
        ReaderConfig: { InputType: 'JSONL' },
        Parameters: { 'Bucket': 'acme-results', 'Key.$': '$.work.items.key' },
      },
      ItemBatcher: { MaxItemsPerBatchPath: '$.work.itemsPerBatch', BatchInput: { 'output.$': '$.output', 'round.$': '$.work.round' } },
      MaxConcurrency: 4,
      ToleratedFailurePercentage: 100,
      ResultWriter: {
        Resource: 'arn:aws:states:::s3:putObject',
        Parameters: { 'Bucket': 'acme-results', 'Prefix.$': '$.prepared.mapResultsPrefix' },
        WriterConfig: { OutputType: 'JSONL', Transformation: 'COMPACT' },
      },
    });
    const batch = mapOf(definition).ItemProcessor.States.AnalyseBatch;
    expect(batch).toMatchObject({ Type: 'Task', End: true });
    expect(batch.Parameters).toBeUndefined();
    expect(batch.Retry.flatMap((retry: any) => retry.ErrorEquals)).not.toContain('States.ALL');
  });

  test.each([
    [1, 1, 30],
    [5, 1, 50],
    [7, 2, 50],
    [50, 10, 50],
    [1000, 200, 50],
  ])('derives MaxConcurrency and the largest batch from %d images per second', (imagesPerSecond, concurrency, batch) => {
    const { definition, template } = shared({ imagesPerSecond });
    expect(mapOf(definition).MaxConcurrency).toBe(concurrency);
    expect(mapOf(definition).ItemBatcher.MaxItemsPerBatch).toBeUndefined();
    // Prepare and Finalize size each round's batches within these
    for (const state of ['Prepare', 'Finalize']) {
      const fn = template.toJSON().Resources[functionIdOf(definition.States[state].Resource)];
      expect(fn.Properties.Environment.Variables).toMatchObject({ MAP_CONCURRENCY: String(concurrency), MAX_ITEMS_PER_BATCH: String(batch) });
    }
  });

  test('uses JSON Lines ResultWriter output whatever the app\'s feature flags', () => {
    const app = new App({ context: { '@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2': false } });
    expect(mapOf(build({}, app).definition).ResultWriter.WriterConfig).toEqual({ OutputType: 'JSONL', Transformation: 'COMPACT' });
  });
});

describe('functions', () => {
  const envOf = (template: Template, description: RegExp) => {
    const fns = Object.values<any>(template.findResources('AWS::Lambda::Function')).filter((fn) => description.test(fn.Properties.Description));
    expect(fns).toHaveLength(1);
    return fns[0].Properties;
  };

  test('the batch function is paced at its share of the rate, with the configured MinConfidence and adapter, and ends before an Express child must', () => {
    const { template } = shared({ imagesPerSecond: 12, minConfidence: 60, projectVersion: ADAPTER });

    const batch = envOf(template, /batch of images/);
    expect(batch.Environment.Variables).toMatchObject({ CALLS_PER_SECOND: '4', MAX_IN_FLIGHT: '8', MIN_CONFIDENCE: '60', PROJECT_VERSION: ADAPTER });
    expect(batch.Timeout).toBeLessThan(300);
    expect(batch.Architectures).toEqual(['arm64']);
    expect(batch.Runtime).toBe('nodejs24.x');
  });

  test('without MinConfidence or adapter the batch function leaves them to Rekognition', () => {
    const { template } = shared();
    const variables = envOf(template, /batch of images/).Environment.Variables;
    expect(variables.MIN_CONFIDENCE).toBeUndefined();
    expect(variables.PROJECT_VERSION).toBeUndefined();
  });

  test('finalize knows the failure share and rounds', () => {
    const { template } = shared({ maxFailureShare: 0.25 });
    expect(envOf(template, /bulk analysis format/).Environment.Variables).toMatchObject({ MAX_FAILURE_SHARE: '0.25', MAX_ROUNDS: '3' });
  });
});

describe('permissions', () => {
  test('the batch role may moderate images and read only the image buckets', () => {
    const { template, workflow } = shared();
    const statements = roleStatements(template, workflow.functions.batch.role);

    expect(statementsGranting(statements, 'rekognition:DetectModerationLabels')).toEqual([expect.objectContaining({ Resource: '*' })]);
    const reads = statementsGranting(statements, 's3:GetObject');
    expect(reads).toHaveLength(1);
    expect(JSON.stringify(reads[0].Resource)).toMatch(/acme-manifests\/\*.*acme-images\/\*/);
    expect(statements.flatMap((s) => asArray(s.Action))).not.toContain('rekognition:StartMediaAnalysisJob');
  });

  test('with an adapter, DetectModerationLabels is granted on the adapter only', () => {
    const { template, workflow } = shared({ projectVersion: ADAPTER });
    expect(statementsGranting(roleStatements(template, workflow.functions.batch.role), 'rekognition:DetectModerationLabels')).toEqual([expect.objectContaining({ Resource: ADAPTER })]);
  });

  test('prepare reads manifests only below the manifest prefix', () => {
    const { template, workflow } = shared();
    const reads = statementsGranting(roleStatements(template, workflow.functions.prepare.role), 's3:GetObject');
    expect(reads).toEqual([expect.objectContaining({ Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::acme-manifests/manifests/*']] } })]);
  });

  test('the state machine reads and writes S3 only below the output prefix, uses the key, and may start its own children', () => {
    const { template, workflow } = shared();
    const statements = roleStatements(template, workflow.stateMachine.role);
    const s3Statements = statements.filter((s) => asArray(s.Action).some((action: string) => action.startsWith('s3:')));

    expect(s3Statements.length).toBeGreaterThan(0);
    for (const statement of s3Statements) {
      expect(statement.Resource).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::acme-results/results/*']] });
    }
    expect(statements.flatMap((s) => asArray(s.Action))).toEqual(expect.arrayContaining(['s3:GetObject', 's3:PutObject', 'kms:Decrypt', 'kms:GenerateDataKey', 'events:PutEvents']));
    expect(statementsGranting(statements, 'lambda:InvokeFunction').flatMap((s) => asArray(s.Resource))).toContain(TRACKER);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'states:StartExecution', Resource: { Ref: logicalId(workflow.stateMachine) } })]) },
    });
  });

  test('the state machine may use the completion topic\'s key', () => {
    const stack = new Stack(new App(), 'Stack');
    const topicKey = new kms.Key(stack, 'TopicKey', { enableKeyRotation: true });
    const topic = new sns.Topic(stack, 'Topic', { masterKey: topicKey });
    const workflow = new PerImageWorkflow(stack, 'PerImage', { ...baseProps(stack), completionTopic: topic });
    const statements = roleStatements(Template.fromStack(stack), workflow.stateMachine.role);
    expect(statements).toContainEqual(expect.objectContaining({ Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: { 'Fn::GetAtt': [logicalId(topicKey), 'Arn'] } }));
  });
});

describe('cdk-nag AwsSolutions checks', () => {
  function nagApp(): App {
    const app = new App();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    return app;
  }

  test.each([
    ['the defaults', {}],
    ['an adapter and MinConfidence', { projectVersion: ADAPTER, minConfidence: 70 }],
    ['manifests read from the image buckets', { manifestBucket: undefined, manifestPrefix: undefined }],
    ['an output prefix of ""', { outputPrefix: '' }],
  ])('pass with %s, nothing left unacknowledged', (_what, overrides) => {
    expect(() => build(overrides as Partial<PerImageWorkflowProps>, nagApp())).not.toThrow();
  });

  test('are live: a wildcard the workflow did not acknowledge fails synth', () => {
    const addWildcard = (workflow: PerImageWorkflow) => workflow.functions.batch.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:Get*'], resources: ['arn:aws:s3:::acme-images/x'] }));
    expect(() => build({}, nagApp(), addWildcard)).toThrow(/AwsSolutions-IAM5\[Action::s3:Get\*\]/);
  });
});

describe('validation', () => {
  test.each([
    [{ imagesPerSecond: 0 }, /imagesPerSecond must be a number from 1 to 1000 \(given 0\)/],
    [{ imagesPerSecond: 1001 }, /imagesPerSecond must be a number from 1 to 1000 \(given 1001\)/],
    [{ imagesPerSecond: Token.asNumber({ Ref: 'Rate' }) }, /imagesPerSecond must be a concrete number, not a token: it sets the Distributed Map's MaxConcurrency at synth \(given \$\{Token\[/],
    [{ maxFailureShare: 1.5 }, /maxFailureShare must be a number from 0 to 1 \(given 1.5\)/],
    [{ minConfidence: -1 }, /minConfidence must be a number from 0 to 100 \(given -1\)/],
    [{ timeout: Duration.minutes(5) }, /timeout must be at least 15 minutes \(given 5 minutes\)/],
    [{ imageBuckets: [] }, /imageBuckets must name at least one bucket/],
  ])('fails if %o', (overrides, message) => {
    expect(() => build(overrides as Partial<PerImageWorkflowProps>)).toThrow(message);
  });

  test('reports every problem at once', () => {
    expect(() => build({ imagesPerSecond: 0, maxFailureShare: 2 })).toThrow(/^Invalid props for Stack\/PerImage:\n- imagesPerSecond .*\n- maxFailureShare /);
  });
});

describe('sizePerImageRun', () => {
  test('children\'s rates add up to the target, at most 5 calls per second each', () => {
    for (const rate of [1, 3, 5, 6, 12, 49, 50, 51, 333, 1000]) {
      const sizing = sizePerImageRun(rate);
      expect(sizing.maxConcurrency * sizing.callsPerSecondPerChild).toBeCloseTo(rate, 9);
      expect(sizing.callsPerSecondPerChild).toBeLessThanOrEqual(5);
      // a batch takes at most 30 s at its pace, leaving most of the Express child's 5 minutes for retries
      expect(sizing.itemsPerBatch / sizing.callsPerSecondPerChild).toBeLessThanOrEqual(30);
    }
  });

  test('names the function by its logical id in local ARNs', () => {
    expect(functionIdOf('arn:aws:lambda:us-east-1:111122223333:function:Fn123')).toBe('Fn123');
  });
});
