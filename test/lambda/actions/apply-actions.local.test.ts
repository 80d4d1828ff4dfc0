import { GetObjectCommand, GetObjectTaggingCommand } from '@aws-sdk/client-s3';
import { ACTIONS_REPORT_NAME, IMAGE_FLAGGED_DETAIL_TYPE } from '../../../lib/actions/actions-contract';
import { MODERATION_EVENT_SOURCE } from '../../../lib/events/completion-event-contract';
import {
  EventsDouble,
  faultyS3,
  IMAGES,
  type ImageSpec,
  OUTPUT,
  ownTagSet,
  runLikeTheWorkflow,
  seed,
  SETTINGS,
  trackedState,
  useLocalS3,
} from '../../support/actions/actions-fixture';

// The real actions code against a local S3 server (s3rver: it stores and returns object tags but
// has no versioning and enforces neither the 10-tag limit nor permissions, so AccessDenied is
// injected by a thin wrapper) and an EventBridge double that records what it accepts.

const IMAGES_COUNT = 1000;
const NO_RETRY_WAIT = { attempts: 6, baseDelayMs: 0, sleep: async () => undefined };

const local = useLocalS3();

async function tagsOf(key: string): Promise<Record<string, string>> {
  const { TagSet = [] } = await local.client.send(new GetObjectTaggingCommand({ Bucket: IMAGES, Key: key }));
  return Object.fromEntries(TagSet.map((tag) => [tag.Key!, tag.Value!]));
}

/** Tags of every existing image, read a few at a time (s3rver resets connections under a flood). */
async function allTags(specs: ImageSpec[]): Promise<Array<Record<string, string>>> {
  const tags: Array<Record<string, string>> = [];
  for (const spec of specs.filter((s) => s.exists)) tags.push(await tagsOf(spec.key));
  return tags;
}

async function readJson(key: string): Promise<any> {
  const response = await local.client.send(new GetObjectCommand({ Bucket: OUTPUT, Key: key }));
  return JSON.parse(await response.Body!.transformToString());
}

function expectedCounts(specs: ImageSpec[]) {
  return {
    imagesEvaluated: specs.length,
    imagesFlagged: specs.filter((spec) => spec.expected.status !== 'clean').length,
    imagesQuarantined: specs.filter((spec) => spec.expected.status === 'quarantined').length,
    eventsPublished: specs.filter((spec) => spec.expected.event).length,
    failed: specs.filter((spec) => spec.expected.failure).length,
    labelsTagDropped: specs.filter((spec) => spec.expected.labelsDropped).length,
  };
}

describe('a 1,000-image job with a mixed policy', () => {
  const token = 'b'.repeat(64);
  const prefix = 'results/batch-1/bbbbbbbbbbbb';
  const resultsKey = `${prefix}/job-1/results/output.jsonl`;
  let specs: ImageSpec[];
  const events = new EventsDouble();
  let first: Awaited<ReturnType<typeof runLikeTheWorkflow>>;
  let firstCounts: Map<string, number>;
  let seconds: number;

  beforeAll(async () => {
    specs = await seed(local.client, IMAGES_COUNT, resultsKey);
    // EventBridge throttles some entries of the first calls; they are sent again.
    events.refuse = (_entry, call) => call <= 3 && Math.random() < 0.5;
    const { client, counts } = faultyS3(local.client);
    const started = Date.now();
    first = await runLikeTheWorkflow(trackedState(token, prefix, resultsKey), {
      s3: client, events: events.client, settings: SETTINGS, remainingMs: () => 600_000, eventRetry: NO_RETRY_WAIT,
    });
    seconds = (Date.now() - started) / 1000;
    firstCounts = counts;
  }, 120_000);

  test('every object carries its status, labels and the job token; its own tags are kept', async () => {
    const wrong: string[] = [];
    for (const spec of specs.filter((s) => s.exists)) {
      const tags = await tagsOf(spec.key);
      const own = Object.fromEntries(ownTagSet(spec.ownTags).map((tag) => [tag.Key, tag.Value]));
      const expected = spec.expected.failure
        ? own
        : {
          ...own,
          'moderation:status': spec.expected.status,
          'moderation:token': token,
          ...(spec.expected.labels && !spec.expected.labelsDropped && { 'moderation:labels': spec.expected.labels }),
        };
      if (JSON.stringify(tags, Object.keys(tags).sort()) !== JSON.stringify(expected, Object.keys(expected).sort())) {
        wrong.push(`${spec.key}: ${JSON.stringify(tags)} != ${JSON.stringify(expected)}`);
      }
      expect(Object.keys(tags).length).toBeLessThanOrEqual(10);
    }
    expect(wrong).toEqual([]);
  });

  test('one event per flagged image with EVENT, on the bus, with a deterministic id; throttled entries were retried, none dropped', () => {
    const details = events.details();
    const expected = specs.filter((spec) => spec.expected.event).map((spec) => spec.key).sort();
    expect(details.map((detail) => detail.image.key).sort()).toEqual(expected);
    expect(new Set(details.map((detail) => detail.eventId)).size).toBe(details.length);
    expect(events.accepted.every((entry) => entry.Source === MODERATION_EVENT_SOURCE && entry.DetailType === IMAGE_FLAGGED_DETAIL_TYPE
      && entry.EventBusName === 'moderation-bus')).toBe(true);
    const quarantined = details.find((detail) => detail.image.key === specs[10].key)!;
    expect(quarantined).toMatchObject({
      version: '1', status: 'quarantined', actions: ['EVENT', 'QUARANTINE'], pipeline: 'Stack/Pipeline', token, jobId: 'job-1',
      image: { bucket: IMAGES, key: specs[10].key, version: null },
    });
    expect(quarantined.labelNames).toEqual(expect.arrayContaining(['Explicit', 'Explicit Nudity']));
    expect(quarantined.eventId).toMatch(/^[0-9a-f]{64}$/);
  });

  test('the report lists each failed image with its reason and what did not fit; the step adds the counts to the detail', async () => {
    const report = await readJson(`${prefix}/${ACTIONS_REPORT_NAME}`);
    const failures = new Map<string, string>(report.failures.map((failure: any) => [failure.image.key, failure.code]));
    expect(failures).toEqual(new Map(specs.filter((spec) => spec.expected.failure).map((spec) => [spec.key, spec.expected.failure!])));
    expect([...new Set(failures.values())].sort()).toEqual(['ACCESS_DENIED', 'OBJECT_GONE', 'TAG_LIMIT']);
    expect(report.labelsNotFitting.map((entry: any) => entry.image.key).sort())
      .toEqual(specs.filter((spec) => spec.expected.labelsDropped).map((spec) => spec.key).sort());
    const counts = expectedCounts(specs);
    expect(first.step.actionsComplete).toBe(true);
    expect(first.step.detail!.actions).toMatchObject({ ...counts, alreadyDone: 0, report: `s3://${OUTPUT}/${prefix}/${ACTIONS_REPORT_NAME}` });
    expect(first.step.detail!.actions!.tagged).toBe(specs.filter((spec) => !spec.expected.failure).length);
    expect(report.counts).toEqual(first.step.detail!.actions);
    // Bounded work: one GetObjectTagging per image, one PutObjectTagging per image tagged.
    expect(firstCounts.get('GetObjectTaggingCommand')).toBe(specs.length);
    expect(firstCounts.get('PutObjectTaggingCommand')).toBe(specs.filter((spec) => !spec.expected.failure).length);
    process.stdout.write(`actions over ${IMAGES_COUNT} images on s3rver: ${seconds.toFixed(1)} s (${Math.round(IMAGES_COUNT / seconds)} images/s)\n`);
  });

  test('applying the same results again changes nothing and publishes nothing', async () => {
    const before = await allTags(specs);
    const eventsBefore = events.accepted.length;
    const { client, counts } = faultyS3(local.client);
    const again = await runLikeTheWorkflow(trackedState(token, prefix, resultsKey), {
      s3: client, events: events.client, settings: SETTINGS, remainingMs: () => 600_000, eventRetry: NO_RETRY_WAIT,
    });
    expect(events.accepted.length).toBe(eventsBefore);
    expect(counts.get('PutObjectTaggingCommand') ?? 0).toBe(0);
    expect(await allTags(specs)).toEqual(before);
    expect(again.step.detail!.actions).toEqual(first.step.detail!.actions);
  });
});

describe('a crash half-way, throttling and a spent time budget', () => {
  test('resumes where it stopped: every image actioned once, every event published exactly once', async () => {
    const token = 'c'.repeat(64);
    const prefix = 'results/batch-2/cccccccccccc';
    const resultsKey = `${prefix}/job-1/results/output.jsonl`;
    const specs = await seed(local.client, IMAGES_COUNT, resultsKey);
    const events = new EventsDouble();
    let crashed = false;
    const { client, counts } = faultyS3(local.client, (command, seen) => {
      const name = command.constructor.name;
      // The process dies half-way, in the middle of a chunk's tagging.
      if (name === 'PutObjectTaggingCommand' && seen.get(name) === 480 && !crashed) {
        crashed = true;
        throw new Error('Runtime exited');
      }
      // S3 throttles a burst of tagging requests beyond the SDK's own retries.
      if (name === 'GetObjectTaggingCommand' && (seen.get(name)! % 211 === 0)) {
        throw Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown', $fault: 'server', $metadata: { httpStatusCode: 503 } });
      }
    });
    const deps = { s3: client, events: events.client, settings: SETTINGS, remainingMs: () => 600_000, eventRetry: NO_RETRY_WAIT };
    const state = trackedState(token, prefix, resultsKey);

    await expect(runLikeTheWorkflow(state, deps)).rejects.toThrow('Runtime exited');
    const publishedBeforeCrash = events.accepted.length;
    expect(publishedBeforeCrash).toBeGreaterThan(0);
    expect(publishedBeforeCrash).toBeLessThan(specs.filter((spec) => spec.expected.event).length);

    // The workflow's Retry invokes the step again; this time the time budget runs out every few chunks.
    let calls = 0;
    const resumed = await runLikeTheWorkflow(state, { ...deps, remainingMs: () => ((calls += 1) % 7 === 0 ? 1_000 : 600_000) });
    expect(resumed.invocations).toBeGreaterThan(2);

    const keys = events.details().map((detail) => detail.image.key);
    expect(keys.length).toBe(new Set(keys).size);
    expect(keys.sort()).toEqual(specs.filter((spec) => spec.expected.event).map((spec) => spec.key).sort());
    const actions = resumed.step.detail!.actions!;
    expect(actions).toMatchObject(expectedCounts(specs));
    // Images tagged before the crash but after the last checkpoint were found done, not tagged twice.
    expect(actions.tagged + actions.alreadyDone).toBe(specs.filter((spec) => !spec.expected.failure).length);
    expect(counts.get('PutObjectTaggingCommand')).toBe(specs.filter((spec) => !spec.expected.failure).length + 1);
    for (const spec of specs.filter((s) => s.exists && !s.expected.failure).slice(0, 200)) {
      expect((await tagsOf(spec.key))['moderation:token']).toBe(token);
    }
  }, 120_000);
});
