import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { handlerBundle } from '../../support/bundled-handler';
import { awsError, startJsonProtocolDouble, type JsonProtocolDouble } from '../../support/json-protocol-double';
import { FULL_PROPERTIES, MINIMAL_PROPERTIES, STACK_ID, createEvent } from './fixtures';

const START = 'RekognitionService.StartMediaAnalysisJob';
const GET = 'RekognitionService.GetMediaAnalysisJob';

/**
 * Calls named exports of the bundle one after the other in a fresh `node` process, as Lambda
 * would load it: ESM, a clean environment, the real SDK client talking to the local double.
 */
const RUNNER = `
import { pathToFileURL } from 'node:url';
const [bundle] = process.argv.slice(1);
const respond = process.stdout.write.bind(process.stdout);
process.stdout.write = (...args) => process.stderr.write(...args);
console.log = console.info = (...args) => console.error(...args);
let input = '';
for await (const chunk of process.stdin) input += chunk;
const handlers = await import(pathToFileURL(bundle).href);
const results = [];
for (const { exportName, event } of JSON.parse(input)) {
  try {
    results.push({ response: await handlers[exportName](event) });
  } catch (error) {
    results.push({ error: { name: error?.name, message: error?.message } });
  }
}
respond(JSON.stringify(results));
`;

interface Call { readonly exportName: 'onEvent' | 'isComplete'; readonly event: unknown }
interface Run { readonly results: Array<{ response?: any; error?: { name: string; message: string } }>; readonly stderr: string }

function runBundle(bundle: string, calls: Call[], endpoint: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--no-warnings', '--input-type=module', '-e', RUNNER, bundle], {
      env: {
        PATH: process.env.PATH ?? '',
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'AKIDTESTDOUBLE',
        AWS_SECRET_ACCESS_KEY: 'test-double-secret',
        AWS_CONFIG_FILE: '/nonexistent',
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
        AWS_ENDPOINT_URL_REKOGNITION: endpoint,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        resolve({ results: JSON.parse(stdout), stderr });
      } catch {
        reject(new Error(`bundle run failed (exit ${code}):\n${stdout}\n${stderr}`));
      }
    });
    child.stdin.end(JSON.stringify(calls));
  });
}

let bundle: string;
let double: JsonProtocolDouble;

beforeAll(async () => {
  bundle = handlerBundle('job');
  double = await startJsonProtocolDouble();
});
afterAll(async () => {
  await double?.stop();
});
beforeEach(() => double.clear());

test('the bundled onEvent starts a job and isComplete reports where the results are', async () => {
  // GIVEN
  double.handle(START, () => ({ JobId: 'job-from-double' }));
  double.handle(GET, (body) => ({
    JobId: body.JobId,
    JobName: 'deploy-batch_1.jsonl-0000',
    Status: 'SUCCEEDED',
    OperationsConfig: { DetectModerationLabels: {} },
    CreationTimestamp: 1767225600,
    Input: { S3Object: { Bucket: 'input-bucket', Name: 'manifests/batch 1.jsonl' } },
    OutputConfig: { S3Bucket: 'output-bucket', S3KeyPrefix: 'results/x' },
    Results: { S3Object: { Bucket: 'output-bucket', Name: 'results/x/results.jsonl' } },
    ManifestSummary: { S3Object: { Bucket: 'output-bucket', Name: 'results/x/summary.json' } },
  }));
  const create = createEvent(FULL_PROPERTIES);

  // WHEN
  const first = await runBundle(bundle, [{ exportName: 'onEvent', event: create }], double.url);
  const onEventResponse = first.results[0].response;
  const second = await runBundle(bundle, [{ exportName: 'isComplete', event: { ...create, ...onEventResponse } }], double.url);

  // THEN
  const { ServiceToken: _ignored, ...jobProperties } = FULL_PROPERTIES;
  const sorted = JSON.stringify(Object.fromEntries(Object.entries(jobProperties).sort(([a], [b]) => (a < b ? -1 : 1))));
  const token = createHash('sha256').update([STACK_ID, 'ModerationJob1A2B3C4D', sorted].join('\n')).digest('hex');
  const [start] = double.requestsFor(START);
  expect(start.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDTESTDOUBLE\/\d{8}\/eu-west-1\/rekognition\/aws4_request/);
  expect(start.body).toEqual({
    ClientRequestToken: token,
    JobName: `deploy-batch_1.jsonl-${token.slice(0, 8)}`,
    OperationsConfig: { DetectModerationLabels: { MinConfidence: 75.5, ProjectVersion: FULL_PROPERTIES.ProjectVersion } },
    Input: { S3Object: { Bucket: 'input-bucket', Name: 'manifests/batch 1.jsonl', Version: 'v3.Lx9Tk' } },
    OutputConfig: { S3Bucket: 'output-bucket', S3KeyPrefix: `results/manifests/batch_1.jsonl/${token.slice(0, 16)}` },
    KmsKeyId: FULL_PROPERTIES.KmsKeyId,
  });
  expect(onEventResponse).toEqual({
    PhysicalResourceId: 'job-from-double',
    Data: {
      JobId: 'job-from-double',
      JobName: `deploy-batch_1.jsonl-${token.slice(0, 8)}`,
      OutputPrefix: `results/manifests/batch_1.jsonl/${token.slice(0, 16)}`,
      ClientRequestToken: token,
    },
  });
  expect(double.requestsFor(GET).map((request) => request.body)).toEqual([{ JobId: 'job-from-double' }]);
  expect(second.results[0]).toEqual({
    response: {
      IsComplete: true,
      Data: { ResultsLocation: 's3://output-bucket/results/x/results.jsonl', SummaryLocation: 's3://output-bucket/results/x/summary.json', Status: 'SUCCEEDED' },
    },
  });
  expect(first.stderr + second.stderr).not.toContain(create.ResponseURL);
});

test('the bundled onEvent turns a real AccessDeniedException into a readable failure, without retrying', async () => {
  double.handle(START, () => awsError('AccessDeniedException', 'User is not authorized to perform: s3:GetObject'));

  const run = await runBundle(bundle, [{ exportName: 'onEvent', event: createEvent(MINIMAL_PROPERTIES) }], double.url);

  expect(run.results[0].error?.message).toBe(
    'ModerationJob ModerationJob1A2B3C4D: could not start a Rekognition bulk analysis job for s3://input-bucket/manifest.jsonl: '
    + 'AccessDeniedException: User is not authorized to perform: s3:GetObject. '
    + "Fix: grant the custom resource's role s3:GetObject on the manifest and its images, s3:PutObject on the output bucket, "
    + 'rekognition:StartMediaAnalysisJob, and use of the KMS key if KmsKeyId is set.',
  );
  expect(double.requestsFor(START)).toHaveLength(1);
});
