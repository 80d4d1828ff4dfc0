import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { fateOf, fatesOf } from '../../support/local-aws/manifest-fates';
import { TEST_EVENT_BODY } from '../../support/sqs-s3-events';
import { completionOf, expectJob, expectRejected, ref, triggerLogs, uploadManifest, useMatrixPipeline } from './matrix-pipeline';

// Keys, notifications and deliveries: what reaches the trigger, and how often a job starts.

const pipeline = useMatrixPipeline();

test('non-manifest keys raise no event: the notification filter is prefix manifests/ and suffix .jsonl or .manifest (case-sensitive)', async () => {
  const local = pipeline();
  expect(local.notificationRules.map(({ prefix, suffix, events, bucket, queueArn }) => ({ prefix, suffix, events, bucket, queueArn }))).toEqual([
    { prefix: 'manifests/', suffix: '.jsonl', events: ['s3:ObjectCreated:*'], bucket: local.inputBucket, queueArn: local.queue.options.arn },
    { prefix: 'manifests/', suffix: '.manifest', events: ['s3:ObjectCreated:*'], bucket: local.inputBucket, queueArn: local.queue.options.arn },
  ]);
  const emittedBefore = local.s3.notifications.length;
  const ignored = ['images/batch.jsonl', 'manifests/batch.csv', 'manifests/batch.JSONL', 'manifests/batch.jsonl.bak', 'inbox/manifests/batch.jsonl'];
  for (const key of ignored) await uploadManifest(local, key, [ref(local.inputBucket, 'images/plain.jpg')]);
  await uploadManifest(local, 'manifests/nested/deep.manifest', [ref(local.inputBucket, 'images/plain.jpg')]);

  // s3rver reported every upload; only the manifest reached the queue.
  expect(local.s3.notifications.length - emittedBefore).toBe(ignored.length + 1);
  expect(local.queue.messages).toHaveLength(1);
  for (const key of ignored) expect(fatesOf(local, key)).toEqual([]);
  await local.deliver();
  expect(fateOf(local, 'manifests/nested/deep.manifest').kind).toBe('job');
});

test('keys with spaces, plus, percent and unicode: one job each, for the exact key', async () => {
  const local = pipeline();
  const keys = ['manifests/with space.jsonl', 'manifests/a+b=c.jsonl', 'manifests/100% done.jsonl', 'manifests/ünïcödé 😀.jsonl'];
  for (const key of keys) await uploadManifest(local, key, [ref(local.inputBucket, 'images/explicit.jpg')]);
  // S3 URL-encodes keys in events ('+' for a space); s3rver does not, the harness does.
  expect(local.s3.notifications.at(-1)!.Records[0].s3.object.key).toBe('manifests/ünïcödé 😀.jsonl');
  expect(JSON.parse(local.queue.messages.at(-1)!.body).Records[0].s3.object.key).toBe('manifests/%C3%BCn%C3%AFc%C3%B6d%C3%A9+%F0%9F%98%80.jsonl');

  await local.deliver();
  for (const key of keys) {
    const fate = fateOf(local, key);
    expect(fate.kind).toBe('job');
    if (fate.kind === 'job') expect(local.rekognition.jobs.get(fate.jobIds[0])!.Input.S3Object.Name).toBe(key);
  }
  const detail = await expectJob(local, 'manifests/100% done.jsonl');
  expect(detail).toMatchObject({ status: 'SUCCEEDED', manifest: { key: 'manifests/100% done.jsonl' }, moderation: { labels: { Explicit: 1 } } });
  expect(detail.output.prefix).not.toMatch(/\s/);
});

test('a 1,024-character key: one job for the whole key, its output prefix shortened to 800 bytes', async () => {
  const local = pipeline();
  const segment = `${'k'.repeat(200)}/`;
  const key = `manifests/${segment.repeat(4)}${'x'.repeat(1024 - 10 - 4 * segment.length - 6)}.jsonl`;
  expect(key).toHaveLength(1024);
  await uploadManifest(local, key, [ref(local.inputBucket, 'images/explicit.jpg')]);
  await local.deliver();
  const detail = await expectJob(local, key);
  expect(detail).toMatchObject({ status: 'SUCCEEDED', manifest: { key } });
  expect(Buffer.byteLength(detail.output.prefix)).toBeLessThanOrEqual(800);
  expect(local.rekognition.jobs.get(detail.jobId)!.OutputConfig.S3KeyPrefix).toBe(detail.output.prefix);
});

test('s3:TestEvent: acknowledged and skipped, no job', async () => {
  const local = pipeline();
  local.queue.send(TEST_EVENT_BODY);
  const run = await local.deliver();
  expect(run!.response).toEqual({ batchItemFailures: [] });
  expect(local.queue.messages).toHaveLength(0);
  expect(local.rekognition.calls.all).toHaveLength(0);
  expect(triggerLogs(local)).toContainEqual(expect.objectContaining({ outcome: 'skipped', reason: 's3:TestEvent' }));
});

test('the same event delivered twice: one job and one tracking execution', async () => {
  const local = pipeline();
  await uploadManifest(local, 'manifests/twice.jsonl', [ref(local.inputBucket, 'images/explicit.jpg')]);
  const body = local.queue.messages[0].body;
  await local.deliver();
  // S3's at-least-once delivery: the same notification again, as a new SQS message.
  local.queue.send(body);
  const second = await local.deliver();

  expect(second!.response).toEqual({ batchItemFailures: [] });
  const starts = local.rekognition.calls.of('StartMediaAnalysisJob');
  expect(starts).toHaveLength(2);
  expect(starts[1].response.JobId).toBe(starts[0].response.JobId);
  expect(local.rekognition.jobs.all().filter((job) => job.Input.S3Object.Name === 'manifests/twice.jsonl')).toHaveLength(1);
  expect(local.aws.executions).toHaveLength(1);
  expect(fateOf(local, 'manifests/twice.jsonl').kind).toBe('job');
});

test('the same event again after a redeploy changed minConfidence: the first job stays the one fate; the mismatch is acknowledged with a WARN, nothing written or published', async () => {
  const local = pipeline();
  await uploadManifest(local, 'manifests/redeployed.jsonl', [ref(local.inputBucket, 'images/explicit.jpg')]);
  const body = local.queue.messages[0].body;
  await local.deliver();
  local.setTriggerEnv({ MIN_CONFIDENCE: '80' });
  local.queue.send(body);
  const second = await local.deliver();

  expect(second!.response).toEqual({ batchItemFailures: [] });
  expect(local.rekognition.calls.failed('StartMediaAnalysisJob', 'IdempotentParameterMismatchException')).toHaveLength(1);
  // No second tracking execution (not even a refused one): no second event for the manifest version.
  expect(local.aws.executions).toHaveLength(1);
  expect(local.aws.refusedStarts).toHaveLength(0);
  const fate = fateOf(local, 'manifests/redeployed.jsonl');
  expect(fate.kind).toBe('job');
  const detail = await completionOf(local, fate);
  expect(detail.status).toBe('SUCCEEDED');
  // The job's folder holds its results only: no stray error report beside them.
  await expect(local.read(`s3://${local.outputBucket}/${detail.output.prefix}/error-report.json`)).rejects.toThrow();
  expect(second!.logs.filter((line) => line.outcome === 'already-started')).toEqual([
    expect.objectContaining({ level: 'WARN', token: detail.token, errorCode: 'IdempotentParameterMismatchException' }),
  ]);
});

test('two versions of one key: two jobs and two tracking executions, one per version', async () => {
  const local = pipeline();
  const first = await uploadManifest(local, 'manifests/versions.jsonl', [ref(local.inputBucket, 'images/plain.jpg')]);
  const second = await uploadManifest(local, 'manifests/versions.jsonl', [ref(local.inputBucket, 'images/explicit.jpg')]);
  expect(first).toBeDefined();
  expect(second).not.toBe(first);
  await local.deliver();

  const jobs = local.rekognition.jobs.all().filter((job) => job.Input.S3Object.Name === 'manifests/versions.jsonl');
  expect(jobs.map((job) => job.Input.S3Object.Version)).toEqual([first, second]);
  expect(new Set(jobs.map((job) => job.ClientRequestToken)).size).toBe(2);
  expect(fateOf(local, 'manifests/versions.jsonl', first).kind).toBe('job');
  expect(fateOf(local, 'manifests/versions.jsonl', second).kind).toBe('job');
  expect(local.aws.executions).toHaveLength(2);
});

describe('a manifest deleted before the trigger runs', () => {
  async function uploadThenDelete(key: string): Promise<void> {
    const local = pipeline();
    await uploadManifest(local, key, [ref(local.inputBucket, 'images/plain.jpg')]);
    await local.s3.client.send(new DeleteObjectCommand({ Bucket: local.inputBucket, Key: key }));
    const run = await local.deliver();
    expect(run!.response).toEqual({ batchItemFailures: [] });
  }

  test('is rejected (ManifestNotFound): error report and FAILED event', async () => {
    await uploadThenDelete('manifests/deleted.jsonl');
    const { report } = await expectRejected(pipeline(), 'manifests/deleted.jsonl', 'ManifestNotFound');
    expect(report.message).toMatch(/no longer exists/);
    expect(pipeline().rekognition.calls.of('StartMediaAnalysisJob')).toHaveLength(0);
  });

  test('without pre-validation, Rekognition refuses it (InvalidS3ObjectException): error report and FAILED event', async () => {
    pipeline().setTriggerEnv({ VALIDATE_MANIFESTS: 'false' });
    await uploadThenDelete('manifests/deleted-unchecked.jsonl');
    await expectRejected(pipeline(), 'manifests/deleted-unchecked.jsonl', 'InvalidS3ObjectException');
  });
});

test('a malformed SQS body: acknowledged and logged as skipped; nothing started (no manifest to lose)', async () => {
  const local = pipeline();
  local.queue.send('{"Records": [ not json');
  local.queue.send(JSON.stringify({ Records: [{ eventSource: 'aws:s3', eventName: 'ObjectRemoved:Delete', s3: { bucket: { name: local.inputBucket }, object: { key: 'manifests/x.jsonl' } } }] }));
  const run = await local.deliver();
  expect(run!.response).toEqual({ batchItemFailures: [] });
  expect(local.queue.messages).toHaveLength(0);
  expect(local.deadLetterQueue.messages).toHaveLength(0);
  expect(local.rekognition.calls.all).toHaveLength(0);
  const skipped = triggerLogs(local).filter((line) => line.outcome === 'skipped').map((line) => line.reason);
  expect(skipped).toEqual(['body is not JSON', expect.stringMatching(/ObjectRemoved:Delete is not an ObjectCreated event/)]);
});
