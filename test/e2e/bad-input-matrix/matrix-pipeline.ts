import { synthesizeExample, SynthesizedExample } from '../../support/local-aws/cloud-assembly';
import { LocalPipeline, LocalPipelineOptions, startLocalPipeline } from '../../support/local-aws/local-pipeline';
import { fateOf, ManifestFate } from '../../support/local-aws/manifest-fates';
import { schemaErrors } from '../../support/event-schema';

// Shared by the bad-input matrix files: the synthesized example app on local servers, with two
// buckets beyond the pipeline's reach and a few images.

/** A bucket the pipeline is not granted. */
export const OTHER_BUCKET = 'someone-elses-images';
/** A bucket in another Region than the pipeline (and the Rekognition double). */
export const EU_BUCKET = 'images-in-eu-west-1';

export const MATRIX_OPTIONS: LocalPipelineOptions = {
  otherBuckets: [OTHER_BUCKET, EU_BUCKET],
  bucketRegions: { [EU_BUCKET]: 'eu-west-1' },
  rekognition: {
    jobDurationSeconds: (job) => (job.Input.S3Object.Name.includes('hour-long') ? 3600 : 300),
    summaryLineNumberKey: (job) => (job.Input.S3Object.Name.includes('corrected-spelling') ? 'line-number' : 'line-numer'),
  },
};

/** Registers the suite's setup; the returned function gives the running pipeline. */
export function useMatrixPipeline(options: LocalPipelineOptions = MATRIX_OPTIONS): () => LocalPipeline {
  let example: SynthesizedExample;
  let local: LocalPipeline;
  beforeAll(async () => {
    example = synthesizeExample();
    local = await startLocalPipeline(example, options);
    for (const key of ['images/explicit.jpg', 'images/plain.jpg', 'images/notes.txt']) {
      await local.put(local.inputBucket, key, 'image bytes');
    }
    await local.put(OTHER_BUCKET, 'images/explicit.jpg', 'image bytes');
    await local.put(EU_BUCKET, 'images/explicit.jpg', 'image bytes');
  });
  afterAll(async () => {
    await local?.stop();
    example?.remove();
  });
  beforeEach(() => {
    local.reset();
    // A day later: every job of an earlier test has ended and the request quotas are full.
    local.rekognition.clock.advanceSeconds(86_400);
  });
  return () => local;
}

export function ref(bucket: string, key: string): string {
  return JSON.stringify({ 'source-ref': `s3://${bucket}/${key}` });
}

/** Uploads a manifest to the input bucket; returns the versionId its event carries. */
export async function uploadManifest(local: LocalPipeline, key: string, lines: string[] | string): Promise<string | undefined> {
  const body = Array.isArray(lines) ? `${lines.join('\n')}\n` : lines;
  return (await local.put(local.inputBucket, key, body)).versionId;
}

/** Runs the tracking workflow of a fate that has one; returns the single completion event's detail (schema-checked). */
export async function completionOf(local: LocalPipeline, fate: ManifestFate): Promise<any> {
  if (fate.kind !== 'job' && fate.kind !== 'rejected') throw new Error(`a ${fate.kind} manifest has no tracking execution yet`);
  const tracked = await local.track(fate.execution);
  expect(tracked.events).toHaveLength(1);
  const { detail } = tracked.events[0];
  expect(schemaErrors(detail)).toEqual([]);
  return detail;
}

/** Asserts a rejection: its error report exists with the code, and its FAILED event (stage START) names both. */
export async function expectRejected(local: LocalPipeline, key: string, code: string): Promise<any> {
  const fate = fateOf(local, key);
  expect(fate).toMatchObject({ kind: 'rejected', code });
  if (fate.kind !== 'rejected') throw new Error('unreachable');
  const report = JSON.parse(await local.read(fate.errorReport));
  expect(report).toMatchObject({ manifest: { bucket: local.inputBucket, key }, errorCode: code });
  const detail = await completionOf(local, fate);
  expect(detail).toMatchObject({
    status: 'FAILED',
    jobId: null,
    failure: { code, stage: 'START' },
    output: { errorReport: fate.errorReport, results: null },
  });
  return { report, detail };
}

/** Asserts a started job and returns its completion event's detail. */
export async function expectJob(local: LocalPipeline, key: string): Promise<any> {
  const fate = fateOf(local, key);
  expect(fate.kind).toBe('job');
  if (fate.kind !== 'job') throw new Error('unreachable');
  expect(fate.jobIds).toHaveLength(1);
  const detail = await completionOf(local, fate);
  expect(detail.jobId).toBe(fate.jobIds[0]);
  return detail;
}

/** The trigger's log lines of every invocation so far. */
export function triggerLogs(local: LocalPipeline): Array<Record<string, any>> {
  return local.invocations.flatMap((invocation) => invocation.run.logs);
}
