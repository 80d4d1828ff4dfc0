import { GetMediaAnalysisJobCommand, RekognitionClient, StartMediaAnalysisJobCommand } from '@aws-sdk/client-rekognition';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { PerImageWorkflow } from '../../lib/per-image/per-image-workflow';
import { deriveJobName, deriveOutputPrefix, deriveToken } from '../../lambda/common/job-request';
import type { TriggerConfig } from '../../lambda/trigger/config';
import { perImageInput } from '../../lambda/trigger/start-per-image';
import { schemaErrors } from '../support/event-schema';
import { localValues, resolveValue } from '../support/local-aws/template-values';
import { LOCAL_S3_CLIENT_ENV, LOCAL_S3_CREDENTIALS, LocalS3, startLocalS3 } from '../support/local-s3';
import { bulkOutputProblems } from '../support/per-image/bulk-output-schema';
import { bundledLambda } from '../support/per-image/bundled-lambda';
import { functionIdOf, perImageDefinition } from '../support/per-image/definition';
import { PerImageRun, runPerImageWorkflow } from '../support/per-image/run-per-image-workflow';
import { getJsonLines, getText, localS3Client, putText } from '../support/per-image/s3';
import { buildTestManifest, TestManifest } from '../support/per-image/test-manifest';
import { moderateImageKey, RekognitionDouble, SimulatedClock, startRekognitionDouble } from '../support/rekognition-double';

// The per-image engine run locally end to end: the synthesized definition through
// aws-local-stepfunctions (the Distributed Map emulated from its own ASL), the shipped handler
// bundles in child processes with real SDK clients (the pipeline's job tracker included), s3rver
// for S3 and the Rekognition double enforcing a DetectModerationLabels TPS quota. What only AWS can show is listed in docs/engines.md.

jest.setTimeout(240_000);

const IMAGES = 'images';
const PRIVATE = 'private-images';
const MANIFESTS = 'manifests';
const RESULTS = 'results';
const IMAGES_PER_SECOND = 50;
const MIN_CONFIDENCE = 60;

let server: LocalS3;
let s3Client: S3Client;
let rekognition: RekognitionDouble;
let definition: any;
let lambdaEnv: Record<string, Record<string, string>>;
let manifest: TestManifest;

beforeAll(async () => {
  server = await startLocalS3([IMAGES, PRIVATE, MANIFESTS, RESULTS]);
  s3Client = localS3Client(server.url);
  rekognition = await startRekognitionDouble({
    s3: { endpoint: server.url, readableBuckets: [IMAGES, MANIFESTS, RESULTS] },
    // Real time: the TPS quota is enforced on the clock the handlers pace themselves by.
    clock: new SimulatedClock({ start: Date.now(), scale: 1 }),
    tps: { DetectModerationLabels: IMAGES_PER_SECOND },
  });
  ({ definition, lambdaEnv } = synthesize());
  manifest = buildTestManifest({ lines: 1000, imageBucket: IMAGES, privateBucket: PRIVATE });
  for (const object of manifest.objects) {
    await s3Client.send(new PutObjectCommand({ Bucket: object.bucket, Key: object.key, Body: Buffer.alloc(object.size, 1) }));
  }
});

afterAll(async () => {
  await rekognition?.stop();
  s3Client?.destroy();
  await server?.stop();
});

/** The workflow as the pipeline would configure it, and each function's environment as deployed. */
function synthesize() {
  const stack = new Stack(new App(), 'Local');
  new PerImageWorkflow(stack, 'PerImage', {
    outputBucket: s3.Bucket.fromBucketName(stack, 'Results', RESULTS),
    outputPrefix: 'results/',
    encryptionKey: new kms.Key(stack, 'Key', { enableKeyRotation: true }),
    imageBuckets: [s3.Bucket.fromBucketName(stack, 'Images', IMAGES), s3.Bucket.fromBucketName(stack, 'Private', PRIVATE)],
    manifestBucket: s3.Bucket.fromBucketName(stack, 'Manifests', MANIFESTS),
    imagesPerSecond: IMAGES_PER_SECOND,
    minConfidence: MIN_CONFIDENCE,
    maxFailureShare: 0.1,
    timeout: Duration.days(1),
    trackerFunction: lambda.Function.fromFunctionArn(stack, 'Tracker', 'arn:aws:lambda:us-east-1:111122223333:function:tracker'),
    logRetention: logs.RetentionDays.ONE_WEEK,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const template = Template.fromStack(stack);
  const json = template.toJSON();
  const values = localValues(json);
  const env = (id: string) => resolveValue(json.Resources[id].Properties.Environment?.Variables ?? {}, values) as Record<string, string>;
  const asl = perImageDefinition(template);
  return {
    definition: asl,
    lambdaEnv: {
      Prepare: env(functionIdOf(asl.States.Prepare.Resource)),
      Finalize: env(functionIdOf(asl.States.Finalize.Resource)),
      AnalyseBatch: env(functionIdOf(asl.States.AnalyseImages.ItemProcessor.States.AnalyseBatch.Resource)),
    },
  };
}

function awsEnv(): Record<string, string> {
  return {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_S3: server.url,
    AWS_ENDPOINT_URL_REKOGNITION: rekognition.url,
    S3_FORCE_PATH_STYLE: 'true',
    ...LOCAL_S3_CLIENT_ENV,
  };
}

/** The pipeline's job tracker as shipped: it builds the event from the run's jobDescription. */
function tracker() {
  return bundledLambda('tracking', { ...awsEnv(), PIPELINE_ID: 'Local/Pipeline', KMS_KEY_ID: lambdaEnv.Finalize.KMS_KEY_ID });
}

const CONFIG: TriggerConfig = {
  settings: { outputBucket: RESULTS, outputPrefix: 'results/', jobNamePrefix: 'moderation-', minConfidence: MIN_CONFIDENCE },
  unexpectedErrorAttempts: 5,
  engine: 'per-image',
  validateManifests: true,
};

/** The execution input the trigger sends for a manifest (start-per-image.ts). */
function executionInput(key: string) {
  const token = deriveToken(MANIFESTS, key, 'local');
  return perImageInput({
    manifest: { bucket: MANIFESTS, key },
    token,
    jobName: deriveJobName('moderation-', key, token),
    outputPrefix: deriveOutputPrefix('results/', key, token),
  }, CONFIG, 'StartMediaAnalysisJob was refused (AccessDeniedException: test); the manifest ran per image');
}

async function run(input: ReturnType<typeof executionInput>, failChild?: (round: number, index: number) => Error | undefined) {
  const events: any[] = [];
  const result: PerImageRun = await runPerImageWorkflow(definition, input, {
    lambdas: {
      Prepare: bundledLambda('per-image-prepare', { ...awsEnv(), ...lambdaEnv.Prepare }),
      AnalyseBatch: bundledLambda('per-image-batch', { ...awsEnv(), ...lambdaEnv.AnalyseBatch }),
      Finalize: bundledLambda('per-image-finalize', { ...awsEnv(), ...lambdaEnv.Finalize }),
      TrackCompletion: tracker(),
    },
    putEvents: (request) => {
      events.push(...request.Entries);
      return { FailedEntryCount: 0, Entries: request.Entries.map((_, i) => ({ EventId: `event-${i}` })) };
    },
    failChild,
  }, s3Client);
  return { ...result, events };
}

async function outputsAt(detail: any) {
  const key = (uri: string) => uri.slice(`s3://${RESULTS}/`.length);
  const lines = (await getText(s3Client, RESULTS, key(detail.output.results))).split('\n').filter((line) => line !== '');
  return { lines, summary: JSON.parse(await getText(s3Client, RESULTS, key(detail.output.summary))) };
}

describe('a 1,000-line manifest with bad lines, refused images, a throttling storm and a lost batch', () => {
  let result: Awaited<ReturnType<typeof run>>;
  let outputs: { lines: string[]; summary: any };
  const KEY = 'manifests/batch-1000.jsonl';

  beforeAll(async () => {
    await putText(s3Client, MANIFESTS, KEY, manifest.text);
    // A 3-second storm once calls are flowing: every DetectModerationLabels call is throttled.
    let firstCall = 0;
    const stopStorm = rekognition.faults.when((call) => {
      if (call.operation !== 'DetectModerationLabels') return undefined;
      firstCall ||= Date.now();
      const sinceFirst = Date.now() - firstCall;
      return sinceFirst > 2000 && sinceFirst < 5000 ? { type: 'ThrottlingException', message: 'Rate exceeded (storm)' } : undefined;
    });
    rekognition.calls.clear();
    // The third batch of the first round is lost (its function timed out): its lines need a second round.
    result = await run(executionInput(KEY), (round, index) => (round === 1 && index === 2
      ? Object.assign(new Error('Task timed out after 240.00 seconds'), { name: 'Lambda.Unknown' })
      : undefined));
    stopStorm();
    outputs = await outputsAt(result.output.step.detail);
  });

  test('the run succeeds in two rounds and publishes one completion event that conforms to the event schema', () => {
    // 973 images: 2 waves of 10 batches of 49 (the last short); then the lost batch's 49 lines: 10 batches of 5 (the last 4)
    expect(result.mapRuns.map((mapRun) => [mapRun.batches, mapRun.failedChildren])).toEqual([[20, 1], [10, 0]]);
    expect(result.mapRuns[0].peakConcurrency).toBe(10);
    expect(result.events).toHaveLength(1);
    const detail = JSON.parse(JSON.stringify(result.events[0].Detail));
    expect(detail).toEqual(result.output.step.detail);
    expect(schemaErrors(detail)).toEqual([]);
    expect(detail).toMatchObject({
      engine: 'per-image',
      fallbackReason: expect.stringContaining('AccessDeniedException'),
      status: 'SUCCEEDED',
      failure: null,
      manifest: { bucket: MANIFESTS, key: KEY, version: null },
      statistics: { totalLines: 1000 },
      pipeline: 'Local/Pipeline',
    });
    // the tracker tallied the per-image output like a bulk job's
    const flagged = [...manifest.expected.values()].filter((expectation) => expectation.kind === 'analyzed'
      && moderateImageKey(expectation.key, MIN_CONFIDENCE).ModerationLabels.length > 0).length;
    expect(detail.moderation).toMatchObject({ minConfidence: MIN_CONFIDENCE, imagesFlagged: flagged, unreadableLines: 0 });
    expect(detail.output.flaggedImages).toMatch(/flagged-images\.jsonl$/);
  });

  test('the outputs follow the shared bulk schema, one output line per manifest line', () => {
    expect(bulkOutputProblems(outputs)).toEqual([]);
    expect(outputs.lines).toHaveLength(1000);
  });

  test('no image is lost to throttling or to the lost batch: every analysable line has the labels of its image', () => {
    expect(rekognition.calls.failed('DetectModerationLabels', 'ThrottlingException').length).toBeGreaterThan(0);
    outputs.lines.forEach((text, index) => {
      const expectation = manifest.expected.get(index + 1)!;
      const line = JSON.parse(text);
      if (expectation.kind === 'analyzed') {
        expect({ line: index + 1, ...line }).toEqual({
          'line': index + 1,
          'source-ref': `s3://${expectation.bucket}/${expectation.key}`,
          'detect-moderation-labels': moderateImageKey(expectation.key, MIN_CONFIDENCE),
        });
      } else {
        expect(line['detect-moderation-labels']).toBeUndefined();
      }
    });
  });

  test('each image was analysed once: throttled calls were retried, nothing was analysed twice', () => {
    const served = rekognition.calls.of('DetectModerationLabels').filter((call) => call.error === undefined);
    const analysed = [...manifest.expected.values()].filter((expectation) => expectation.kind === 'analyzed').length;
    expect(served).toHaveLength(analysed);
    // refused images were asked about once each, not retried
    const refused = [...manifest.expected.values()].filter((expectation) => expectation.kind === 'refused').length;
    const refusals = rekognition.calls.of('DetectModerationLabels').filter((call) => call.error !== undefined && call.error !== 'ThrottlingException');
    expect(refusals).toHaveLength(refused);
  });

  test('the summary lists every line that names no image and every refused image, with bulk-style codes', () => {
    const expectedErrors = [...manifest.expected.entries()]
      .flatMap(([line, expectation]) => (expectation.kind === 'analyzed' ? [] : [{ line, code: expectation.code }]));
    expect(outputs.summary.errors.map((error: any) => ({ line: error['line-numer'], code: error.code }))).toEqual(expectedErrors);
    const invalid = expectedErrors.filter(({ line }) => manifest.expected.get(line)!.kind === 'invalid').length;
    expect(outputs.summary.statistics).toEqual({ 'total-json-lines': 1000, 'valid-json-lines': 1000 - invalid, 'invalid-json-lines': invalid });
  });

  test('the bulk engine (the double\'s StartMediaAnalysisJob) agrees image for image on the same manifest', async () => {
    const client = new RekognitionClient({ region: 'us-east-1', endpoint: rekognition.url, credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' } });
    try {
      const { JobId } = await client.send(new StartMediaAnalysisJobCommand({
        ClientRequestToken: 'parity-1',
        JobName: 'parity',
        OperationsConfig: { DetectModerationLabels: { MinConfidence: MIN_CONFIDENCE } },
        Input: { S3Object: { Bucket: MANIFESTS, Name: KEY } },
        OutputConfig: { S3Bucket: RESULTS, S3KeyPrefix: 'bulk-parity' },
      }));
      rekognition.clock.advanceSeconds(3600);
      const job = await client.send(new GetMediaAnalysisJobCommand({ JobId }));
      expect(job.Status).toBe('SUCCEEDED');
      const bulk = {
        lines: (await getText(s3Client, job.Results!.S3Object!.Bucket!, job.Results!.S3Object!.Name!)).split('\n').filter((line) => line !== ''),
        summary: JSON.parse(await getText(s3Client, job.ManifestSummary!.S3Object!.Bucket!, job.ManifestSummary!.S3Object!.Name!)),
      };

      // One schema for both engines' outputs.
      expect(bulkOutputProblems(bulk)).toEqual([]);
      // Image for image: the same labels for every source-ref, and the same images not analysed.
      const bySourceRef = (lines: string[]) => {
        const map = new Map<string, unknown>();
        for (const text of lines) {
          const line = JSON.parse(text);
          if (typeof line['source-ref'] !== 'string' || !line['source-ref'].startsWith('s3://')) continue;
          map.set(line['source-ref'], line['detect-moderation-labels'] ?? 'not analysed');
        }
        return map;
      };
      const perImage = bySourceRef(outputs.lines);
      const bulkAnalysis = bySourceRef(bulk.lines);
      expect([...perImage.keys()].sort()).toEqual([...bulkAnalysis.keys()].sort());
      for (const [sourceRef, labels] of perImage) expect({ sourceRef, labels }).toEqual({ sourceRef, labels: bulkAnalysis.get(sourceRef) });
      // The same images failed in both (the codes are each engine's own: the real bulk codes are undocumented).
      const failedRefs = (summary: any) => new Set(summary.errors.map((error: any) => error['source-ref']).filter((ref: unknown) => typeof ref === 'string' && ref.startsWith('s3://')));
      expect([...failedRefs(outputs.summary)].sort()).toEqual([...failedRefs(bulk.summary)].sort());
    } finally {
      client.destroy();
    }
  });
});

describe('manifests that cannot run', () => {
  test('an empty manifest ends in a FAILED completion event (INVALID_MANIFEST), without a Map run', async () => {
    await putText(s3Client, MANIFESTS, 'manifests/empty.jsonl', '\n\n');

    const result = await run(executionInput('manifests/empty.jsonl'));

    expect(result.mapRuns).toEqual([]);
    expect(result.events).toHaveLength(1);
    expect(schemaErrors(result.events[0].Detail)).toEqual([]);
    expect(result.events[0].Detail).toMatchObject({ engine: 'per-image', status: 'FAILED', failure: { code: 'INVALID_MANIFEST', stage: 'JOB' }, output: { results: null, summary: null } });
  });

  test('a manifest whose lines mostly fail ends FAILED, with its outputs written', async () => {
    const key = 'manifests/mostly-missing.jsonl';
    const lines = [
      JSON.stringify({ 'source-ref': `s3://${IMAGES}/photos/calm-4.jpg` }),
      ...Array.from({ length: 3 }, (_, i) => JSON.stringify({ 'source-ref': `s3://${IMAGES}/photos/gone-${i}.jpg` })),
    ];
    await putText(s3Client, MANIFESTS, key, lines.join('\n'));

    const result = await run(executionInput(key));

    const detail = result.events[0].Detail;
    expect(schemaErrors(detail)).toEqual([]);
    expect(detail).toMatchObject({ status: 'FAILED', failure: { code: 'FAILURE_SHARE_EXCEEDED' }, statistics: { totalLines: 4, errorCount: 3 } });
    expect(detail.output.results).toMatch(/per-image\/results\/output\.jsonl$/);
    expect(bulkOutputProblems(await outputsAt(detail))).toEqual([]);
  });

  test('an error in a step (here: Finalize cannot read the Map results) is reported as a FAILED completion event', async () => {
    const key = 'manifests/broken.jsonl';
    await putText(s3Client, MANIFESTS, key, `${JSON.stringify({ 'source-ref': `s3://${IMAGES}/photos/calm-4.jpg` })}\n`);
    const input = executionInput(key);
    const events: any[] = [];

    const result = await runPerImageWorkflow(definition, input, {
      lambdas: {
        Prepare: bundledLambda('per-image-prepare', { ...awsEnv(), ...lambdaEnv.Prepare }),
        AnalyseBatch: bundledLambda('per-image-batch', { ...awsEnv(), ...lambdaEnv.AnalyseBatch }),
        // A Finalize whose S3 requests are refused (s3rver checks the access key id).
        Finalize: bundledLambda('per-image-finalize', { ...awsEnv(), ...lambdaEnv.Finalize, AWS_ACCESS_KEY_ID: 'NOT-S3RVER' }),
        TrackCompletion: tracker(),
      },
      putEvents: (request) => {
        events.push(...request.Entries);
        return { FailedEntryCount: 0, Entries: [{ EventId: 'e' }] };
      },
    }, s3Client);

    expect(result.output.jobDescription).toMatchObject({ Status: 'FAILED', FailureDetails: { Code: expect.any(String), Message: expect.any(String) } });
    expect(events).toHaveLength(1);
    expect(schemaErrors(events[0].Detail)).toEqual([]);
    expect(events[0].Detail).toMatchObject({ status: 'FAILED', failure: { stage: 'JOB' } });
    expect(await getJsonLines(s3Client, RESULTS, `${input.output.prefix}/per-image/items.jsonl`)).toHaveLength(1);
  });
});
