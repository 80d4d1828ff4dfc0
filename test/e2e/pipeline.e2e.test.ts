import { synthesizeExample, SynthesizedExample } from '../support/local-aws/cloud-assembly';
import { LocalPipeline, startLocalPipeline } from '../support/local-aws/local-pipeline';
import { schemaErrors } from '../support/event-schema';

// The example app as deployed: synthesized to a cloud assembly, its trigger and tracker bundles
// taken from cdk.out, their environment and the tracking workflow from the template, run against
// s3rver, the Rekognition double and local SQS / Step Functions doubles.

const JOB_SECONDS = 900;

let example: SynthesizedExample;
let local: LocalPipeline;

beforeAll(async () => {
  example = synthesizeExample();
  local = await startLocalPipeline(example, { rekognition: { jobDurationSeconds: JOB_SECONDS } });
});

afterAll(async () => {
  await local?.stop();
  example?.remove();
});

beforeEach(() => local.reset());

/** What each image should come out as with the example app's MinConfidence of 60. */
const IMAGES: Array<{ key: string; uploaded: boolean; valid: boolean; flaggedUnder: string[] }> = [
  { key: 'images/explicit-1.jpg', uploaded: true, valid: true, flaggedUnder: ['Explicit'] },
  { key: 'images/explicit-2.png', uploaded: true, valid: true, flaggedUnder: ['Explicit'] },
  { key: 'images/violence-1.jpeg', uploaded: true, valid: true, flaggedUnder: ['Violence'] },
  { key: 'images/explicit-violence.jpg', uploaded: true, valid: true, flaggedUnder: ['Explicit', 'Violence'] },
  // 55.4% Swimwear: below the app's MinConfidence of 60.
  { key: 'images/swimwear.jpg', uploaded: true, valid: true, flaggedUnder: [] },
  { key: 'images/plain.jpg', uploaded: true, valid: true, flaggedUnder: [] },
  { key: 'images/never-uploaded.jpg', uploaded: false, valid: false, flaggedUnder: [] },
  { key: 'images/notes.txt', uploaded: true, valid: false, flaggedUnder: [] },
];

async function uploadImages(): Promise<void> {
  for (const image of IMAGES.filter((candidate) => candidate.uploaded)) {
    await local.put(local.inputBucket, image.key, 'image bytes');
  }
}

function manifestLines(keys: string[]): string[] {
  return keys.map((key) => JSON.stringify({ 'source-ref': `s3://${local.inputBucket}/${key}` }));
}

test('a manifest uploaded to the input bucket ends in one SUCCEEDED completion event with its statistics and flagged counts', async () => {
  // GIVEN images, and a manifest listing each of them, one twice, plus a line that is not JSON
  await uploadImages();
  const listed = [...IMAGES.map((image) => image.key), 'images/explicit-1.jpg'];
  const manifest = [...manifestLines(listed), 'this line is not JSON'].join('\n') + '\n';
  expect(local.queue.messages).toHaveLength(0); // images are outside the manifest prefix

  // WHEN it is uploaded, its event delivered to the trigger and the job tracked to its end
  const { versionId } = await local.put(local.inputBucket, 'manifests/batch-1.jsonl', manifest);
  expect(local.queue.messages).toHaveLength(1);
  const invocations = await local.drain();
  expect(invocations).toBe(1);
  expect(local.invocations[0].run.response).toEqual({ batchItemFailures: [] });
  expect(local.queue.messages).toHaveLength(0);
  expect(local.aws.executions).toHaveLength(1);
  const [execution] = local.aws.executions;
  const tracked = await local.track(execution);

  // THEN one event, as the schema describes it, with what the manifest held
  expect(tracked.events).toHaveLength(1);
  const [event] = tracked.events;
  expect(event.source).toBe('cdk-bulk-moderation');
  expect(event.detailType).toBe('Moderation Job Completed');
  expect(schemaErrors(event.detail)).toEqual([]);
  const { detail } = event;
  const rows = listed.map((key) => IMAGES.find((image) => image.key === key)!);
  const valid = rows.filter((row) => row.valid);
  const flagged = valid.filter((row) => row.flaggedUnder.length > 0);
  const perLabel: Record<string, number> = {};
  for (const row of flagged) for (const label of row.flaggedUnder) perLabel[label] = (perLabel[label] ?? 0) + 1;

  expect(detail).toMatchObject({
    status: 'SUCCEEDED',
    pipeline: 'ModerationExample/Pipeline',
    engine: 'bulk',
    failure: null,
    manifest: { bucket: local.inputBucket, key: 'manifests/batch-1.jsonl', version: versionId },
    statistics: { totalLines: listed.length + 1, validLines: valid.length, invalidLines: listed.length + 1 - valid.length },
    moderation: { minConfidence: 60, imagesAnalyzed: valid.length, imagesFlagged: flagged.length, labels: perLabel },
  });
  expect(perLabel).toEqual({ Explicit: 4, Violence: 2 });
  expect(detail.statistics.errors.map((error: any) => error.lineNumber)).toEqual([7, 8, 10]);

  // The job the event reports is the one Rekognition ran, on the uploaded version of the manifest.
  const job = local.rekognition.jobs.get(detail.jobId)!;
  expect(job.Input.S3Object).toEqual({ Bucket: local.inputBucket, Name: 'manifests/batch-1.jsonl', Version: versionId });
  expect(job.ClientRequestToken).toBe(detail.token);
  expect(execution.name).toBe(detail.token);
  expect(detail.timing.durationSeconds).toBe(JOB_SECONDS);
  // Polled every pollInterval (the template's Wait) until the job's simulated end, never longer.
  const pollSeconds = (local.definition.States.WaitForJob as { Seconds: number }).Seconds;
  expect(tracked.waitedSeconds).toBe(Math.ceil(JOB_SECONDS / pollSeconds) * pollSeconds);
  expect(tracked.checks).toBe(tracked.waitedSeconds / pollSeconds + 1);

  // Every location the event names exists on the S3 server, under the manifest's output folder.
  for (const uri of [detail.output.results, detail.output.summary, detail.output.flaggedImages]) {
    expect(uri.startsWith(`s3://${local.outputBucket}/${detail.output.prefix}/`)).toBe(true);
  }
  expect((await local.read(detail.output.results)).trim().split('\n')).toHaveLength(listed.length);
  expect(JSON.parse(await local.read(detail.output.summary)).statistics['total-json-lines']).toBe(listed.length + 1);
  const flaggedList = (await local.read(detail.output.flaggedImages)).trim().split('\n').map((line) => JSON.parse(line)['source-ref']);
  expect(flaggedList.sort()).toEqual(flagged.map((row) => `s3://${local.inputBucket}/${row.key}`).sort());
  expect(local.deadLetterQueue.messages).toHaveLength(0);
});

test('a job that Rekognition fails ends in one FAILED completion event with its FailureDetails', async () => {
  // GIVEN a job that will fail
  await uploadImages();
  local.rekognition.jobs.failNext({ Code: 'INTERNAL_ERROR', Message: 'The job failed inside the service' });

  // WHEN a manifest is uploaded, delivered and tracked
  await local.put(local.inputBucket, 'manifests/batch-2.jsonl', manifestLines(['images/explicit-1.jpg']).join('\n'));
  await local.drain();
  expect(local.aws.executions).toHaveLength(1);
  const tracked = await local.track(local.aws.executions[0]);

  // THEN
  expect(tracked.events).toHaveLength(1);
  const { detail } = tracked.events[0];
  expect(schemaErrors(detail)).toEqual([]);
  expect(detail).toMatchObject({
    status: 'FAILED',
    failure: { code: 'INTERNAL_ERROR', message: 'The job failed inside the service', stage: 'JOB' },
    output: { results: null, flaggedImages: null, errorReport: null },
    moderation: null,
  });
  expect(local.rekognition.jobs.get(detail.jobId)!.settled?.Status).toBe('FAILED');
  expect(local.queue.messages).toHaveLength(0);
  expect(local.deadLetterQueue.messages).toHaveLength(0);
});
