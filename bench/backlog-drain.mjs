// Backlog drain: N manifests arrive at once and Rekognition allows LIMIT concurrent jobs. The shipped
// trigger bundle (from the example app's cdk.out, warm in one child process, as a warm Lambda
// container) works the manifest queue, and the backlog schedule's looks (every 15 s while manifests
// wait) on the simulated clock, which jumps to the next visible message or look. Job durations and
// the request quotas (Start 5 TPS, List 5 TPS) run on that clock too. Each case runs twice in this
// one run: with the backlog (what the pipeline deploys) and without it (BACKLOG_QUEUE_URL removed:
// the trigger's earlier design, a refused manifest retried on the manifest queue after 5 minutes
// doubling to an hour), the baseline.
//
// Ideal: every manifest starts, in arrival order, the moment a slot frees (list scheduling with no
// delay). Slot use: busy slot-seconds / (LIMIT x time until all jobs are done).
//
//   node bench/backlog-drain.mjs                 (both cases)
//   BENCH_CASES=small node bench/backlog-drain.mjs
import { createHash } from 'node:crypto';
import { tsImport } from 'tsx/esm/api';
import { ratio } from './lib/measure.mjs';

const CASES = {
  small: { manifests: 200, limit: 5, jobSeconds: () => 600, label: '200 manifests, 5 slots, jobs of 600 s' },
  large: { manifests: 1000, limit: 20, jobSeconds: (key) => 300 + Math.floor(unitHash(key) * 3301), label: '1,000 manifests, 20 slots, jobs of 5-60 minutes' },
};
const TARGETS = { makespanRatio: 1.05, slotUse: 0.95, startsPerManifest: 1.5 };

const { synthesizeExample } = await tsImport('../test/support/local-aws/cloud-assembly.ts', import.meta.url);
const { startLocalPipeline } = await tsImport('../test/support/local-aws/local-pipeline.ts', import.meta.url);
const { fatesOf } = await tsImport('../test/support/local-aws/manifest-fates.ts', import.meta.url);

async function drain(example, scenario, withBacklog) {
  const local = await startLocalPipeline(example, {
    warmTrigger: true,
    triggerEnv: withBacklog ? {} : { BACKLOG_QUEUE_URL: undefined, MANIFEST_QUEUE_URL: undefined },
    rekognition: {
      concurrentJobLimit: scenario.limit,
      jobDurationSeconds: (job) => scenario.jobSeconds(job.Input.S3Object.Name),
      createdSeconds: 0,
    },
  });
  try {
    const { clock, calls, jobs } = local.rekognition;
    await local.put(local.inputBucket, 'images/explicit-1.jpg', 'image bytes');
    const manifest = JSON.stringify({ 'source-ref': `s3://${local.inputBucket}/images/explicit-1.jpg` });
    const keys = Array.from({ length: scenario.manifests }, (_, index) => `manifests/backlog/m-${String(index).padStart(5, '0')}.jsonl`);
    const t0 = clock.now();
    for (const key of keys) await local.put(local.inputBucket, key, manifest);

    const realStart = process.hrtime.bigint();
    const invocations = await local.drain({ maxSimulatedSeconds: 30 * 86_400, maxInvocations: 1_000_000 });
    const realSeconds = Number(process.hrtime.bigint() - realStart) / 1e9;

    const backlog = jobs.all().filter((job) => job.Input.S3Object.Name.startsWith('manifests/backlog/'));
    const makespan = (Math.max(...backlog.map((job) => job.completesAt)) - t0) / 1000;
    const ideal = idealMakespan(keys.map((key) => scenario.jobSeconds(key)), scenario.limit);
    const perManifest = new Map();
    for (const job of backlog) perManifest.set(job.Input.S3Object.Name, (perManifest.get(job.Input.S3Object.Name) ?? 0) + 1);
    const busy = backlog.reduce((total, job) => total + (job.completesAt - job.createdAt) / 1000, 0);
    const waits = backlog.map((job) => (job.createdAt - t0) / 1000);
    const starts = calls.of('StartMediaAnalysisJob').length;
    return {
      makespan,
      ideal,
      slotUse: busy / (scenario.limit * makespan),
      lost: keys.filter((key) => fatesOf(local, key).length === 0).length,
      duplicates: [...perManifest.values()].filter((count) => count > 1).length,
      notStarted: keys.length - perManifest.size,
      deadLettered: local.deadLetterQueue.messages.length,
      starts,
      startsPerManifest: starts / keys.length,
      refused: calls.failed('StartMediaAnalysisJob', 'LimitExceededException').length,
      throttled: calls.failed('StartMediaAnalysisJob', 'ThrottlingException').length,
      lists: calls.of('ListMediaAnalysisJobs').length,
      longestWait: Math.max(...waits),
      invocations,
      realSeconds,
    };
  } finally {
    await local.stop();
  }
}

/** Each manifest, in arrival order, starts on the slot that frees first. */
function idealMakespan(durations, limit) {
  const slots = Array(limit).fill(0);
  for (const duration of durations) {
    const first = slots.indexOf(Math.min(...slots));
    slots[first] += duration;
  }
  return Math.max(...slots);
}

/** A stable number in [0, 1) from a key, so every run draws the same job durations. */
function unitHash(key) {
  return createHash('sha256').update(key).digest().readUInt32BE(0) / 2 ** 32;
}

function report(label, name, result, baseline) {
  const line = (measure, value) => console.log(`${label} | ${name} | ${measure}: ${value}`);
  line('time until all jobs done (simulated s)', result.makespan.toFixed(0));
  line('ideal (s)', result.ideal);
  line('makespan / ideal', ratio(result.makespan, result.ideal));
  line('slot use', `${(result.slotUse * 100).toFixed(1)}%`);
  line('StartMediaAnalysisJob calls per manifest', result.startsPerManifest.toFixed(2));
  line('  calls refused LimitExceededException', result.refused);
  line('  calls throttled ThrottlingException', result.throttled);
  line('ListMediaAnalysisJobs calls', result.lists);
  line('lost', result.lost);
  line('duplicate jobs', result.duplicates);
  line('not started', result.notStarted);
  line('dead-lettered', result.deadLettered);
  line('trigger invocations', result.invocations);
  line('real time (s)', result.realSeconds.toFixed(1));
  if (baseline) {
    line('makespan vs baseline', ratio(result.makespan, baseline.makespan));
    line('Start calls vs baseline', ratio(result.starts, baseline.starts));
  }
}

async function main() {
  const selected = (process.env.BENCH_CASES ?? 'small,large').split(',');
  const example = synthesizeExample();
  let failures = 0;
  try {
    for (const name of selected) {
      const scenario = CASES[name];
      console.log(`\n## Backlog drain: ${scenario.label}`);
      const baseline = await drain(example, scenario, false);
      report(scenario.label, 'baseline (no backlog)', baseline);
      const result = await drain(example, scenario, true);
      report(scenario.label, 'backlog', result, baseline);
      const checks = [
        ['makespan <= 1.05 x ideal', result.makespan <= TARGETS.makespanRatio * result.ideal],
        ['slot use >= 95%', result.slotUse >= TARGETS.slotUse],
        ['<= 1.5 Start calls per manifest', result.startsPerManifest <= TARGETS.startsPerManifest],
        ['none lost, duplicated, left waiting or dead-lettered', result.lost + result.duplicates + result.notStarted + result.deadLettered === 0],
      ];
      for (const [target, met] of checks) {
        console.log(`${scenario.label} | target ${target}: ${met ? 'met' : 'MISSED'}`);
        if (!met) failures += 1;
      }
    }
  } finally {
    example.remove();
  }
  process.exitCode = failures === 0 ? 0 : 1;
}

await main();
