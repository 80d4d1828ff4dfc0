// Backlog drain: N manifests arrive at once; Rekognition allows 5 concurrent jobs of a fixed
// simulated duration. The shipped trigger bundle (from the example app's cdk.out, warm in one child
// process) works the manifest queue: SQS visibility delays (the trigger's own ChangeMessageVisibility
// values, in simulated seconds, unscaled) and job durations run on the Rekognition double's clock,
// which jumps to the next message that becomes visible; the request quotas (5 TPS Start) run on
// real time, since the code's SDK retries wait in real time. Reported: simulated time until every
// job is done against the ideal ceil(N / 5) x duration, lost manifests, duplicate jobs, and the
// throttled and refused calls.
//
// BENCH_QUOTA_CLOCK=simulated puts the quotas on the simulated clock too (much faster to run; the
// clock stands still during a delivery, so only calls of the same delivery compete for tokens).
//
//   node bench/backlog-drain.mjs   (BENCH_MANIFESTS=200, BENCH_JOB_SECONDS=600, BENCH_LIMIT=5, BENCH_QUOTA_CLOCK=real)
import { tsImport } from 'tsx/esm/api';
import { printTable, ratio } from './lib/measure.mjs';

const MANIFESTS = Number(process.env.BENCH_MANIFESTS ?? 200);
const JOB_SECONDS = Number(process.env.BENCH_JOB_SECONDS ?? 600);
const LIMIT = Number(process.env.BENCH_LIMIT ?? 5);
const QUOTA_CLOCK = process.env.BENCH_QUOTA_CLOCK ?? 'real';

const { synthesizeExample } = await tsImport('../test/support/local-aws/cloud-assembly.ts', import.meta.url);
const { startLocalPipeline } = await tsImport('../test/support/local-aws/local-pipeline.ts', import.meta.url);
const { fatesOf } = await tsImport('../test/support/local-aws/manifest-fates.ts', import.meta.url);

async function main() {
  const example = synthesizeExample();
  const local = await startLocalPipeline(example, {
    warmTrigger: true,
    rekognition: {
      concurrentJobLimit: LIMIT,
      jobDurationSeconds: JOB_SECONDS,
      createdSeconds: 0,
      ...(QUOTA_CLOCK === 'real' && { quotaClock: { now: () => Date.now() } }),
    },
  });
  try {
    const { clock, calls, jobs } = local.rekognition;
    await local.put(local.inputBucket, 'images/explicit-1.jpg', 'image bytes');
    const manifest = JSON.stringify({ 'source-ref': `s3://${local.inputBucket}/images/explicit-1.jpg` });
    const keys = Array.from({ length: MANIFESTS }, (_, index) => `manifests/backlog/m-${index}.jsonl`);
    const t0 = clock.now();
    for (const key of keys) await local.put(local.inputBucket, key, manifest);

    const realStart = process.hrtime.bigint();
    const invocations = await local.drain({ maxSimulatedSeconds: 30 * 86_400, maxInvocations: 100_000 });
    const realMs = Number(process.hrtime.bigint() - realStart) / 1e6;

    const backlog = jobs.all().filter((job) => job.Input.S3Object.Name.startsWith('manifests/backlog/'));
    const doneAt = Math.max(...backlog.map((job) => job.completesAt));
    const simulatedSeconds = (doneAt - t0) / 1000;
    const ideal = Math.ceil(MANIFESTS / LIMIT) * JOB_SECONDS;
    const fates = keys.map((key) => fatesOf(local, key));
    const lost = fates.filter((found) => found.length === 0).length;
    const notStarted = fates.filter((found) => found.length > 0 && found.some((fate) => fate.kind !== 'job')).length;
    const perManifest = new Map();
    for (const job of backlog) perManifest.set(job.Input.S3Object.Name, (perManifest.get(job.Input.S3Object.Name) ?? 0) + 1);
    const duplicates = [...perManifest.values()].filter((count) => count > 1).length;
    const starts = calls.of('StartMediaAnalysisJob');
    const receives = local.queue.deleted.map((message) => message.receiveCount);
    // Time slots stood idle while manifests waited: job-seconds not used / total.
    const busy = backlog.reduce((total, job) => total + (job.completesAt - job.createdAt) / 1000, 0);

    printTable(`Backlog drain: ${MANIFESTS} manifests at once, ${LIMIT} concurrent jobs of ${JOB_SECONDS} s (simulated), quotas on ${QUOTA_CLOCK} time`, [
      { measure: 'time until all jobs done (simulated s)', value: simulatedSeconds.toFixed(0) },
      { measure: `ideal ceil(${MANIFESTS}/${LIMIT}) x ${JOB_SECONDS} (s)`, value: ideal },
      { measure: 'ratio to ideal', value: ratio(simulatedSeconds, ideal) },
      { measure: 'job-slot use (busy slot-seconds / available)', value: `${((busy / (LIMIT * simulatedSeconds)) * 100).toFixed(1)}%` },
      { measure: 'manifests lost (no fate)', value: lost },
      { measure: 'manifests not started (deferred, rejected or dead-lettered)', value: notStarted },
      { measure: 'duplicate jobs (manifests with more than one)', value: duplicates },
      { measure: 'jobs started', value: backlog.length },
      { measure: 'trigger invocations', value: invocations },
      { measure: 'StartMediaAnalysisJob calls', value: starts.length },
      { measure: '  refused LimitExceededException', value: calls.failed('StartMediaAnalysisJob', 'LimitExceededException').length },
      { measure: '  throttled ThrottlingException', value: calls.failed('StartMediaAnalysisJob', 'ThrottlingException').length },
      { measure: 'receives per manifest (median / max)', value: `${median(receives)} / ${Math.max(...receives)}` },
      { measure: 'dead-lettered', value: local.deadLetterQueue.messages.length },
      { measure: 'real time (s)', value: (realMs / 1000).toFixed(1) },
    ]);
  } finally {
    await local.stop();
    example.remove();
  }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.floor(sorted.length / 2)];
}

await main();
