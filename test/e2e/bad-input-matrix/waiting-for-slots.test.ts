import { SLOT_LIMIT_TRUST_SECONDS, BACKLOG_TICK } from '../../../lib/trigger/backlog-contract';
import { fateOf } from '../../support/local-aws/manifest-fates';
import { expectJob, MATRIX_OPTIONS, ref, uploadManifest, useMatrixPipeline } from './matrix-pipeline';

// Every slot or the start rate taken: manifests wait their turn in the backlog, nothing lost,
// duplicated or dead-lettered. A warm trigger, as a Lambda container stays warm between the
// schedule's looks (every 15 s of simulated time while manifests wait).

const pipeline = useMatrixPipeline({ ...MATRIX_OPTIONS, warmTrigger: true });
const LOOK_MS = BACKLOG_TICK.lookIntervalSeconds * 1000;

test('a throttling storm (8 manifests at once, StartMediaAnalysisJob 5 TPS): the throttled ones wait in the backlog, then all start, one job each', async () => {
  const local = pipeline();
  const keys = Array.from({ length: 8 }, (_, index) => `manifests/storm-${index}.jsonl`);
  for (const key of keys) await uploadManifest(local, key, [ref(local.inputBucket, 'images/plain.jpg')]);

  await local.deliver();
  await local.deliver();
  // The clock has not moved: the quota's 5 tokens went to the first batch; the rest wait their turn.
  expect(local.backlog!.messages).toHaveLength(3);
  expect(local.queue.messages).toHaveLength(0);
  await local.drain();

  expect(local.rekognition.calls.failed('StartMediaAnalysisJob', 'ThrottlingException').length).toBeGreaterThanOrEqual(1);
  for (const key of keys) {
    const fate = fateOf(local, key);
    expect(fate.kind).toBe('job');
    if (fate.kind === 'job') expect(fate.jobIds).toHaveLength(1);
  }
  expect(local.backlog!.messages).toHaveLength(0);
  expect(local.deadLetterQueue.messages).toHaveLength(0);
});

test('LimitExceeded for an hour of simulated time: waits in the backlog without redeliveries, never dead-lettered, started within a look of a slot freeing', async () => {
  const local = pipeline();
  // Five hour-long jobs take every slot (the double's limit is 5).
  for (let index = 0; index < 5; index++) await uploadManifest(local, `manifests/hour-long-${index}.jsonl`, [ref(local.inputBucket, 'images/plain.jpg')]);
  await local.deliver();
  expect(local.rekognition.jobs.active()).toBe(5);
  const slotsFreeAt = local.rekognition.clock.now() + 3600 * 1000;
  // A second later, so the request quota is no longer what refuses it.
  local.rekognition.clock.advanceSeconds(1);
  await uploadManifest(local, 'manifests/waits-an-hour.jsonl', [ref(local.inputBucket, 'images/explicit.jpg')]);
  const [message] = local.queue.messages;

  await local.drain({ maxSimulatedSeconds: 3 * 3600, maxInvocations: 10_000 });

  // Refused on arrival, once more on the first look (the limit not yet learned), and once each
  // time the learned limit expired: never once per waiting manifest per look.
  const refusals = local.rekognition.calls.failed('StartMediaAnalysisJob', 'LimitExceededException');
  expect(refusals.length).toBeGreaterThanOrEqual(1);
  expect(refusals.length).toBeLessThanOrEqual(2 + Math.floor(3600 / SLOT_LIMIT_TRUST_SECONDS));
  expect(refusals.every((call) => call.at < slotsFreeAt)).toBe(true);
  // The manifest event was received once and acknowledged: it waited in the backlog, not on the queue.
  expect(message.receiveCount).toBe(1);
  expect(message.visibilityChanges).toEqual([]);
  expect(local.queue.deleted).toContain(message);
  expect(local.backlog!.messages).toHaveLength(0);
  expect(local.deadLetterQueue.messages).toHaveLength(0);
  const fate = fateOf(local, 'manifests/waits-an-hour.jsonl');
  expect(fate.kind).toBe('job');
  if (fate.kind === 'job') {
    expect(fate.jobIds).toHaveLength(1);
    const createdAt = local.rekognition.jobs.get(fate.jobIds[0])!.createdAt;
    expect(createdAt).toBeGreaterThanOrEqual(slotsFreeAt);
    expect(createdAt - slotsFreeAt).toBeLessThanOrEqual(LOOK_MS);
  }
  expect((await expectJob(local, 'manifests/waits-an-hour.jsonl')).status).toBe('SUCCEEDED');
});
