import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ModerationBackfill, ModerationPipeline, type ModerationBackfillProps } from '../../../lib';
import { MAX_BATCH_INPUT_BYTES } from '../../../lib/backfill/backfill-contract';
import { localValues, resolveValue } from '../../support/local-aws/template-values';
import { asArray, logicalId, resolve, roleStatements, statementsGranting } from '../../support/synth-helpers';

interface Synthesized {
  readonly stack: Stack;
  readonly pipeline: ModerationPipeline;
  readonly backfill: ModerationBackfill;
  readonly template: Template;
}

function synthBackfill(props: Partial<ModerationBackfillProps> | ((stack: Stack, pipeline: ModerationPipeline) => Partial<ModerationBackfillProps>) = {}, app = new App()): Synthesized {
  const stack = new Stack(app, 'Stack');
  const pipeline = new ModerationPipeline(stack, 'Pipeline', { imageBuckets: [s3.Bucket.fromBucketName(stack, 'Photos', 'acme-photos')] });
  const extra = typeof props === 'function' ? props(stack, pipeline) : props;
  const backfill = new ModerationBackfill(stack, 'Backfill', { pipeline, bucket: pipeline.inputBucket, prefix: 'photos/', ...extra });
  return { stack, pipeline, backfill, template: Template.fromStack(stack) };
}

/** The backfill's ASL with references replaced by local stand-ins. */
function definition(template: Template, backfill: ModerationBackfill): any {
  const json = template.toJSON();
  const resource = json.Resources[logicalId(backfill.stateMachine)];
  return JSON.parse(resolveValue(resource.Properties.DefinitionString, localValues(json as Parameters<typeof localValues>[0])) as string);
}

const MAP = 'WriteManifestsOfListedObjects';

describe('ModerationBackfill workflow', () => {
  test('a Standard workflow: Distributed Map over ListObjectsV2 of the prefix, batched within 256 KiB, Express children, results to the backfill folder', () => {
    // GIVEN / WHEN
    const { backfill, template } = synthBackfill({ maxImagesPerManifest: 5_000 });

    // THEN
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineType: 'STANDARD', TracingConfiguration: { Enabled: true } });
    const asl = definition(template, backfill);
    expect(asl.StartAt).toBe(MAP);
    const map = asl.States[MAP];
    expect(map.ItemReader).toEqual({
      Resource: 'arn:aws:states:::s3:listObjectsV2',
      Parameters: { Bucket: expect.any(String), Prefix: 'photos/' },
    });
    // Only what the writer needs: more objects fit in a batch. The reader spells it `Etag`.
    expect(map.ItemSelector).toEqual({ 'Key.$': '$$.Map.Item.Value.Key', 'Size.$': '$$.Map.Item.Value.Size', 'ETag.$': '$$.Map.Item.Value.Etag' });
    expect(map.ItemBatcher).toEqual({ MaxItemsPerBatch: 5_000, MaxInputBytesPerBatch: MAX_BATCH_INPUT_BYTES, BatchInput: { source: 'list' } });
    expect(MAX_BATCH_INPUT_BYTES).toBeLessThan(256 * 1024);
    expect(map.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' });
    // A failed batch fails the run (to be redriven), never silently.
    expect(map.ToleratedFailurePercentage ?? 0).toBe(0);
    expect(map.ResultWriter.Parameters.Prefix).toBe(`manifests/backfill/${backfill.backfillName}/runs`);
    expect(map.ResultWriter.WriterConfig).toEqual({ OutputType: 'JSON', Transformation: 'COMPACT' });
    expect(map.Next).toBe('AddUpProgress');
    expect(asl.States.AddUpProgress.Parameters).toEqual({ 'ResultWriterDetails.$': '$.mapRun.ResultWriterDetails' });
    expect(asl.States.Done.Parameters).toMatchObject({ 'progress.$': '$.progress', 'mapRunArn.$': '$.mapRun.MapRunArn' });
  });

  test('the batch writer and the summarizer retry throttling and Lambda hiccups with jitter', () => {
    // GIVEN / WHEN
    const { backfill, template } = synthBackfill();

    // THEN
    const asl = definition(template, backfill);
    const write = asl.States[MAP].ItemProcessor.States.WriteBatchManifests;
    for (const task of [write, asl.States.AddUpProgress]) {
      expect(task.Retry).toHaveLength(1);
      expect(task.Retry[0].ErrorEquals).toEqual(expect.arrayContaining(['SlowDown', 'Lambda.TooManyRequestsException', 'Lambda.ServiceException']));
      expect(task.Retry[0]).toMatchObject({ BackoffRate: 2, JitterStrategy: 'FULL' });
    }
    expect(write.Retry[0].MaxAttempts).toBe(4);
  });

  test('an S3 Inventory report instead: the MANIFEST reader, whole rows, and read access to the inventory folder only', () => {
    // GIVEN / WHEN
    const { backfill, template } = synthBackfill((stack) => ({
      inventoryManifest: { bucket: s3.Bucket.fromBucketName(stack, 'Inventory', 'acme-inventory'), key: 'inv/input/daily/2026-11-29T01-00Z/manifest.json' },
    }));

    // THEN
    const map = definition(template, backfill).States[MAP];
    expect(map.ItemReader).toEqual({
      Resource: 'arn:aws:states:::s3:getObject',
      ReaderConfig: { InputType: 'MANIFEST' },
      Parameters: { Bucket: 'acme-inventory', Key: 'inv/input/daily/2026-11-29T01-00Z/manifest.json' },
    });
    expect(map.ItemSelector).toBeUndefined();
    expect(map.ItemBatcher.BatchInput).toEqual({ source: 'inventory' });
    const reads = statementsGranting(roleStatements(template, backfill.stateMachine.role), 's3:GetObject');
    expect(reads.flatMap((statement) => asArray(statement.Resource)).map((resource) => JSON.stringify(resource)))
      .toContainEqual(expect.stringContaining('acme-inventory/inv/input/daily/*'));
    expect(statementsGranting(roleStatements(template, backfill.stateMachine.role), 's3:ListBucket')).toEqual([]);
  });
});

describe('ModerationBackfill permissions', () => {
  test('the workflow lists only the prefix (s3:prefix condition) and reads no image', () => {
    // GIVEN / WHEN
    const { pipeline, backfill, template } = synthBackfill();

    // THEN
    const statements = roleStatements(template, backfill.stateMachine.role);
    expect(statementsGranting(statements, 's3:ListBucket')).toEqual([{
      Action: 's3:ListBucket',
      Effect: 'Allow',
      Resource: resolve(pipeline, pipeline.inputBucket.bucketArn),
      Condition: { StringLike: { 's3:prefix': ['photos/*'] } },
    }]);
    // Its only object access is the Map results in the backfill's runs/ folder.
    const objects = statements.filter((statement) => asArray(statement.Action).some((action: string) => action.startsWith('s3:') && action !== 's3:ListBucket'));
    expect(objects.map((statement) => statement.Resource)).toEqual([resolve(pipeline, pipeline.inputBucket.arnForObjects(`${backfill.manifestFolder}runs/*`))]);
  });

  test('the writer may only put objects in the backfill folder and read its claims; the summarizer only read its runs/', () => {
    // GIVEN / WHEN
    const { pipeline, backfill, template } = synthBackfill();

    // THEN
    const writer = roleStatements(template, backfill.writerFunction.role!).filter((statement) => asArray(statement.Action).some((action: string) => action.startsWith('s3:')));
    expect(writer).toEqual([
      expect.objectContaining({ Action: 's3:PutObject', Resource: resolve(pipeline, pipeline.inputBucket.arnForObjects(`manifests/backfill/${backfill.backfillName}/*`)) }),
      expect.objectContaining({ Action: 's3:GetObject', Resource: resolve(pipeline, pipeline.inputBucket.arnForObjects(`manifests/backfill/${backfill.backfillName}/claims/*`)) }),
    ]);
    const summary = roleStatements(template, backfill.summaryFunction.role!).filter((statement) => asArray(statement.Action).some((action: string) => action.startsWith('s3:')));
    expect(summary).toEqual([expect.objectContaining({ Action: 's3:GetObject', Resource: resolve(pipeline, pipeline.inputBucket.arnForObjects(`manifests/backfill/${backfill.backfillName}/runs/*`)) })]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.writeManifests',
      Environment: { Variables: Match.objectLike({ IMAGE_PREFIX: 'photos/', MANIFEST_FOLDER: `manifests/backfill/${backfill.backfillName}/`, MANIFEST_SUFFIX: '.jsonl', MAX_IMAGES_PER_MANIFEST: '10000' }) },
    });
    template.hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.summarize' });
  });

  test('the Distributed Map may start its own child executions (aws-cdk-lib grants it) and redrive its Map Runs', () => {
    // GIVEN / WHEN
    const { backfill, template } = synthBackfill();

    // THEN
    const statements = roleStatements(template, backfill.stateMachine.role);
    expect(statementsGranting(statements, 'states:StartExecution')).toEqual([expect.objectContaining({ Resource: { Ref: logicalId(backfill.stateMachine) } })]);
    expect(statementsGranting(statements, 'states:RedriveExecution')).toHaveLength(1);
  });

  test('cdk-nag AwsSolutions: no unacknowledged finding, with startOnDeploy and an inventory', () => {
    // GIVEN
    const app = new App();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    synthBackfill((stack) => ({
      startOnDeploy: true,
      inventoryManifest: { bucket: s3.Bucket.fromBucketName(stack, 'Inventory', 'acme-inventory'), key: 'inv/input/daily/2026-11-29T01-00Z/manifest.json' },
    }), app);

    // WHEN / THEN
    expect(() => app.synth()).not.toThrow();
  });
});

describe('ModerationBackfill start', () => {
  test('startOnDeploy: one StartExecution on create, under a fixed name, ExecutionAlreadyExists ignored, allowed on this workflow only', () => {
    // GIVEN / WHEN
    const { backfill, template } = synthBackfill({ startOnDeploy: true });

    // THEN
    const resources = Object.values<any>(template.findResources('Custom::AWS'));
    expect(resources).toHaveLength(1);
    const create = JSON.stringify(resources[0].Properties.Create);
    expect(create).toContain('\\"action\\":\\"startExecution\\"');
    expect(create).toContain(`\\"name\\":\\"deploy-${backfill.node.addr}\\"`);
    expect(create).toContain('\\"ignoreErrorCodesMatching\\":\\"ExecutionAlreadyExists\\"');
    expect(resources[0].Properties.Update).toBeUndefined();
    // It waits for the functions' policies: the run must not start before they may write.
    const dependsOn: string[] = Object.values<any>(template.toJSON().Resources).find((resource) => resource.Type === 'Custom::AWS').DependsOn;
    expect(dependsOn).toEqual(expect.arrayContaining([logicalId(backfill.writerFunction.role!.node.findChild('DefaultPolicy'))]));
    const policies = Object.values<any>(template.findResources('AWS::IAM::Policy')).filter((policy) => JSON.stringify(policy).includes('StartOnDeploy'));
    expect(policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement)).toEqual([
      { Action: 'states:StartExecution', Effect: 'Allow', Resource: { Ref: logicalId(backfill.stateMachine) } },
    ]);
  });

  test('by default nothing starts at deploy time', () => {
    const { template } = synthBackfill();
    expect(Object.keys(template.findResources('Custom::AWS'))).toHaveLength(0);
  });

  test('the same name on every synth: a retried deployment cannot start a second run', () => {
    const first = synthBackfill({ startOnDeploy: true });
    const second = synthBackfill({ startOnDeploy: true });
    expect(first.backfill.node.addr).toBe(second.backfill.node.addr);
    expect(first.backfill.backfillName).toBe(second.backfill.backfillName);
  });
});

describe('ModerationBackfill metrics', () => {
  test('metricXxx(): the EMF namespace, the backfill dimension, sums over 5 minutes', () => {
    const { backfill } = synthBackfill();
    for (const [metric, name] of [
      [backfill.metricObjectsListed(), 'ObjectsListed'],
      [backfill.metricManifestsWritten(), 'ManifestsWritten'],
      [backfill.metricImagesSkipped(), 'ImagesSkipped'],
      [backfill.metricImagesQueued(), 'ImagesQueued'],
    ] as const) {
      expect(metric).toMatchObject({ namespace: 'CdkBulkModeration/Backfill', metricName: name, dimensions: { Backfill: backfill.backfillName }, statistic: 'Sum' });
      expect(metric.period.toMinutes()).toBe(5);
    }
  });
});

describe('ModerationBackfill validation', () => {
  test('fails if the bucket is not one Rekognition may read through the pipeline', () => {
    expect(() => synthBackfill((stack) => ({ bucket: s3.Bucket.fromBucketName(stack, 'Other', 'acme-other') })))
      .toThrow(/bucket must be the pipeline's input bucket or one of its imageBuckets.*'acme-other'/);
  });

  test('accepts one of the pipeline\'s imageBuckets', () => {
    expect(() => synthBackfill((stack) => ({ bucket: s3.Bucket.fromBucketName(stack, 'Same', 'acme-photos'), prefix: '' }))).not.toThrow();
  });

  test('fails if the prefix overlaps the manifest prefix in the input bucket', () => {
    expect(() => synthBackfill({ prefix: '' })).toThrow(/prefix \(''\) must not overlap the pipeline's manifestPrefix \('manifests\/'\)/);
  });

  test('fails on limits: maxImagesPerManifest, suffixes, prefix, inventory key, all reported at once', () => {
    let message = '';
    try {
      synthBackfill((stack) => ({
        maxImagesPerManifest: 10_001,
        suffixes: [],
        prefix: '/photos/',
        inventoryManifest: { bucket: s3.Bucket.fromBucketName(stack, 'Inventory', 'acme-inventory'), key: 'inv/data/x.csv.gz' },
      }));
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/maxImagesPerManifest .*\(given 10001\)/);
    expect(message).toMatch(/suffixes must name at least one suffix \(given \[\]\)/);
    expect(message).toMatch(/prefix must not start with '\/'.*\(given '\/photos\/'\)/);
    expect(message).toMatch(/inventoryManifest key must be the key of an S3 Inventory report's manifest.json \(given 'inv\/data\/x.csv.gz'\)/);
  });

  test('fails if a manifest suffix would match the backfill\'s skip reports and run results', () => {
    const stack = new Stack(new App(), 'Stack');
    const pipeline = new ModerationPipeline(stack, 'Pipeline', { manifestSuffixes: ['.jsonl', '.json'] });
    expect(() => new ModerationBackfill(stack, 'Backfill', { pipeline, bucket: pipeline.inputBucket, prefix: 'photos/' }))
      .toThrow(/pipeline manifestSuffixes must not match '\*\.json'.*'\.json'/);
  });
});
