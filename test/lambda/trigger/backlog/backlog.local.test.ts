import { RekognitionClient, StartMediaAnalysisJobCommand } from '@aws-sdk/client-rekognition';
import { BACKLOG_TICK, SLOT_LIMIT_TRUST_SECONDS } from '../../../../lib/trigger/backlog-contract';
import { synthesizeExample, SynthesizedExample } from '../../../support/local-aws/cloud-assembly';
import { LocalPipeline, startLocalPipeline } from '../../../support/local-aws/local-pipeline';
import { LOCAL_S3_CREDENTIALS } from '../../../support/local-s3';

// The example app's trigger bundle (warm, as a Lambda container) with the backlog its template
// configures, on the local doubles: manifests that find every slot taken wait in the backlog and
// are started by the schedule's looks (every 15 s of simulated time while they wait).

const LIMIT = 2;
const JOB_SECONDS = 600;
const LOOK_MS = BACKLOG_TICK.lookIntervalSeconds * 1000;

let example: SynthesizedExample;
let local: LocalPipeline;
let jobSeconds = JOB_SECONDS;

beforeAll(async () => {
  example = synthesizeExample();
  local = await startLocalPipeline(example, {
    warmTrigger: true,
    rekognition: { concurrentJobLimit: LIMIT, jobDurationSeconds: () => jobSeconds, createdSeconds: 0 },
  });
  await local.put(local.inputBucket, 'images/explicit-1.jpg', 'image bytes');
});

afterAll(async () => {
  await local?.stop();
  example?.remove();
});

beforeEach(() => {
  local.reset();
  jobSeconds = JOB_SECONDS;
  // Every slot free: the jobs of earlier tests have ended.
  const { clock, jobs } = local.rekognition;
  clock.advanceTo(Math.max(clock.now(), ...jobs.all().map((job) => job.completesAt)));
});

async function uploadManifests(prefix: string, count: number): Promise<string[]> {
  const line = JSON.stringify({ 'source-ref': `s3://${local.inputBucket}/images/explicit-1.jpg` });
  const keys = Array.from({ length: count }, (_, index) => `manifests/${prefix}/m-${index}.jsonl`);
  for (const key of keys) await local.put(local.inputBucket, key, line);
  return keys;
}

function jobsOf(keys: string[]) {
  return local.rekognition.jobs.all().filter((job) => keys.includes(job.Input.S3Object.Name));
}

test('manifests that find every slot taken wait in the backlog and start, in order, within one look of a slot freeing', async () => {
  // GIVEN six manifests at once and two slots
  const keys = await uploadManifests('burst', 6);

  // WHEN the queue and the backlog are drained
  await local.drain({ maxSimulatedSeconds: 86_400, maxInvocations: 10_000 });

  // THEN every manifest has exactly one job, nothing waits or was dead-lettered
  const jobs = jobsOf(keys);
  expect(jobs.map((job) => job.Input.S3Object.Name).sort()).toEqual([...keys].sort());
  expect(local.backlog!.messages).toHaveLength(0);
  expect(local.queue.messages).toHaveLength(0);
  expect(local.deadLetterQueue.messages).toHaveLength(0);
  // AND they started in upload order, each within a look of the slot it took freeing
  const byStart = [...jobs].sort((a, b) => a.createdAt - b.createdAt);
  expect(byStart.map((job) => job.Input.S3Object.Name)).toEqual(keys);
  const t0 = byStart[0].createdAt;
  for (const [index, job] of byStart.entries()) {
    if (index < LIMIT) continue;
    const freed = byStart[index - LIMIT].completesAt;
    expect(job.createdAt).toBeGreaterThanOrEqual(freed);
    expect(job.createdAt - freed).toBeLessThanOrEqual(LOOK_MS);
  }
  expect(Math.max(...jobs.map((job) => job.completesAt)) - t0).toBe((keys.length / LIMIT) * JOB_SECONDS * 1000);
  // AND a refused start was rare: at most 1.5 calls per manifest
  expect(local.rekognition.calls.of('StartMediaAnalysisJob').length).toBeLessThanOrEqual(1.5 * keys.length);
});

test('a manifest waits hours for a slot without being dead-lettered, retried on the manifest queue or started twice', async () => {
  // GIVEN jobs of two hours, and three manifests for two slots and then one more than fits twice
  jobSeconds = 2 * 3600;
  const keys = await uploadManifests('hours', LIMIT * 2 + 1);

  // WHEN
  await local.drain({ maxSimulatedSeconds: 86_400, maxInvocations: 20_000 });

  // THEN the last one started four hours in, once
  const jobs = jobsOf(keys);
  expect(jobs).toHaveLength(keys.length);
  const last = jobs.find((job) => job.Input.S3Object.Name === keys[keys.length - 1])!;
  expect(last.createdAt - Math.min(...jobs.map((job) => job.createdAt))).toBe(4 * 3600 * 1000);
  expect(local.deadLetterQueue.messages).toHaveLength(0);
  // Each manifest event was received from the manifest queue once: waiting costs no redeliveries there.
  expect(local.queue.deleted.map((message) => message.receiveCount)).toEqual(keys.map(() => 1));
});

test('a slot freed by another caller of the account is taken within a look', async () => {
  // GIVEN another caller holds both slots with jobs of different lengths
  const other = new RekognitionClient({ endpoint: local.rekognition.url, region: local.rekognition.region, credentials: LOCAL_S3_CREDENTIALS });
  const otherManifest = 'manifests/other-caller.json';
  await local.put(local.outputBucket, otherManifest, JSON.stringify({ 'source-ref': `s3://${local.inputBucket}/images/explicit-1.jpg` }));
  jobSeconds = 1000;
  await other.send(new StartMediaAnalysisJobCommand({ JobName: 'other-a', OperationsConfig: { DetectModerationLabels: {} }, Input: { S3Object: { Bucket: local.outputBucket, Name: otherManifest } }, OutputConfig: { S3Bucket: local.outputBucket, S3KeyPrefix: 'other/' } }));
  jobSeconds = 3000;
  await other.send(new StartMediaAnalysisJobCommand({ JobName: 'other-b', OperationsConfig: { DetectModerationLabels: {} }, Input: { S3Object: { Bucket: local.outputBucket, Name: otherManifest } }, OutputConfig: { S3Bucket: local.outputBucket, S3KeyPrefix: 'other/' } }));
  const otherJobs = local.rekognition.jobs.all().filter((job) => job.JobName?.startsWith('other-'));
  jobSeconds = JOB_SECONDS;

  // WHEN our manifest comes
  const uploadedAt = local.rekognition.clock.now();
  const keys = await uploadManifests('other', 1);
  await local.drain({ maxSimulatedSeconds: 86_400, maxInvocations: 10_000 });

  // THEN it started within a look of the first other job ending; starts were refused only on
  // arrival, on the first look (the limit not yet learned) and once each time the learned limit expired
  const [ours] = jobsOf(keys);
  const firstFreed = Math.min(...otherJobs.map((job) => job.completesAt));
  expect(ours.createdAt).toBeGreaterThanOrEqual(firstFreed);
  expect(ours.createdAt - firstFreed).toBeLessThanOrEqual(LOOK_MS);
  const expiries = Math.floor((ours.createdAt - uploadedAt) / (SLOT_LIMIT_TRUST_SECONDS * 1000));
  expect(local.rekognition.calls.failed('StartMediaAnalysisJob', 'LimitExceededException').length).toBeLessThanOrEqual(2 + expiries);
});

test('a backlog manifest that fails unexpectedly goes back to the manifest queue, whose retries and dead-letter queue take it', async () => {
  // GIVEN both slots taken, so the third manifest waits in the backlog
  const keys = await uploadManifests('unexpected', LIMIT + 1);
  await local.deliver();
  expect(local.backlog!.messages).toHaveLength(1);

  // WHEN the slot frees but its tracking cannot be started (an unexpected error)
  local.rekognition.clock.advanceSeconds(JOB_SECONDS);
  local.aws.setStartExecutionFault('StateMachineDoesNotExist');
  await local.tick();

  // THEN it left the backlog for the manifest queue, with its job started (the retry finds it by its token)
  expect(local.backlog!.messages).toHaveLength(0);
  expect(local.queue.messages.map((message) => JSON.parse(message.body).Records[0].s3.object.key)).toEqual([keys[LIMIT]]);
  expect(jobsOf([keys[LIMIT]])).toHaveLength(1);

  // AND once tracking works again, the retry acknowledges it with the same job
  local.aws.setStartExecutionFault(undefined);
  await local.drain({ maxSimulatedSeconds: 3600 });
  expect(jobsOf([keys[LIMIT]])).toHaveLength(1);
  expect(local.aws.executions.filter((execution) => execution.input.manifest.key === keys[LIMIT])).toHaveLength(1);
  expect(local.queue.messages).toHaveLength(0);
  expect(local.deadLetterQueue.messages).toHaveLength(0);
});
