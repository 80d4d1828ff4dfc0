// Trigger throughput: manifests per second through the shipped trigger bundle (taken from the
// synthesized example app's cdk.out, run warm in one child process as one Lambda container)
// against the local doubles (s3rver, Rekognition, SQS/Step Functions), batches of the template's
// BatchSize, one at a time. Baseline measured in the same run, on the same doubles and batches:
// a bare request loop (the same StartMediaAnalysisJob + StartExecution per manifest, nothing else).
// Rekognition quotas are off here: this measures the code, not the quota (see backlog-drain.mjs).
//
//   node bench/throughput.mjs            (BENCH_MANIFESTS=200, BENCH_LINES=20)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tsImport } from 'tsx/esm/api';
import { printTable, ratio } from './lib/measure.mjs';

const root = new URL('..', import.meta.url).pathname;
const work = join(root, '.bench', 'throughput');
const MANIFESTS = Number(process.env.BENCH_MANIFESTS ?? 200);
const LINES = Number(process.env.BENCH_LINES ?? 20);

const { synthesizeExample } = await tsImport('../test/support/local-aws/cloud-assembly.ts', import.meta.url);
const { startLocalPipeline } = await tsImport('../test/support/local-aws/local-pipeline.ts', import.meta.url);
const { WarmHandler } = await tsImport('../test/support/local-aws/warm-handler.ts', import.meta.url);

/** The bare loop: per record, the two calls the trigger must make, with the same clients and request shape. */
const BARE_LOOP = `
import { createHash } from 'node:crypto';
import { RekognitionClient, StartMediaAnalysisJobCommand } from '@aws-sdk/client-rekognition';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
const rekognition = new RekognitionClient({});
const sfn = new SFNClient({});
export const handler = async (event) => {
  for (const record of event.Records) {
    const { s3 } = JSON.parse(record.body).Records[0];
    const key = decodeURIComponent(s3.object.key.replace(/\\+/g, ' '));
    const token = createHash('sha256').update([s3.bucket.name, key, s3.object.versionId].join('\\n')).digest('hex');
    const { JobId } = await rekognition.send(new StartMediaAnalysisJobCommand({
      ClientRequestToken: token, JobName: 'bare-' + token.slice(0, 8),
      OperationsConfig: { DetectModerationLabels: { MinConfidence: 60 } },
      Input: { S3Object: { Bucket: s3.bucket.name, Name: key, Version: s3.object.versionId } },
      OutputConfig: { S3Bucket: process.env.OUTPUT_BUCKET, S3KeyPrefix: 'results/' + token.slice(0, 16) },
    }));
    await sfn.send(new StartExecutionCommand({ stateMachineArn: process.env.TRACKING_STATE_MACHINE_ARN, name: token, input: JSON.stringify({ token, jobId: JobId }) }));
  }
  return { batchItemFailures: [] };
};`;

async function main() {
  mkdirSync(work, { recursive: true });
  const bareLoop = join(work, 'bare-loop.mjs');
  writeFileSync(bareLoop, BARE_LOOP);

  const example = synthesizeExample();
  const local = await startLocalPipeline(example, { rekognition: { tps: false, concurrentJobLimit: 1_000_000 } });
  try {
    const images = Array.from({ length: LINES }, (_, index) => `images/${index % 3 === 0 ? 'explicit' : 'plain'}-${index}.jpg`);
    for (const key of images) await local.put(local.inputBucket, key, 'image bytes');
    const manifest = images.map((key) => JSON.stringify({ 'source-ref': `s3://${local.inputBucket}/${key}` })).join('\n');

    const runs = [
      ['bare request loop (baseline)', bareLoop, {}],
      ['trigger, validateManifests: false', local.triggerBundle, { VALIDATE_MANIFESTS: 'false' }],
      ['trigger as deployed (validation on)', local.triggerBundle, {}],
    ];
    const results = [];
    for (const [name, bundle, overrides] of runs) {
      const handler = new WarmHandler(bundle, { ...local.triggerEnv, ...overrides });
      // Warm-up batch, not timed: loads the clients, as any warm container has.
      results.push(await measure(local, handler, manifest, `warm-up-${results.length}`, local.batchSize, true));
      results.pop();
      results.push({ name, ...await measure(local, handler, manifest, `run-${results.length}`, MANIFESTS) });
      await handler.stop();
    }

    const baseline = results[0].perSecond;
    printTable(`Trigger throughput: ${MANIFESTS} manifests of ${LINES} lines, batches of ${local.batchSize}, one warm container, quotas off`, results.map((result) => ({
      run: result.name,
      invocations: result.invocations,
      'ms': result.ms.toFixed(0),
      'manifests/s': result.perSecond.toFixed(1),
      'ms/manifest': (result.ms / MANIFESTS).toFixed(2),
      'ratio to baseline': ratio(result.perSecond, baseline),
      'jobs started': result.jobs,
    })));
  } finally {
    await local.stop();
    example.remove();
  }
}

/** Uploads `count` manifests, then runs every batch through the handler; checks that each got exactly one job. */
async function measure(local, handler, manifest, prefix, count, warmUp = false) {
  const keys = Array.from({ length: count }, (_, index) => `manifests/${prefix}/m-${index}.jsonl`);
  for (const key of keys) await local.put(local.inputBucket, key, manifest);
  const jobsBefore = local.rekognition.jobs.all().length;
  let invocations = 0;
  const start = process.hrtime.bigint();
  for (;;) {
    const records = local.queue.receive(local.batchSize);
    if (records.length === 0) break;
    const response = await handler.invoke({ Records: records });
    if (response?.error || response.batchItemFailures.length > 0) throw new Error(`batch failed: ${JSON.stringify(response)}`);
    local.queue.settle(records, response);
    invocations += 1;
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const jobs = local.rekognition.jobs.all().length - jobsBefore;
  if (jobs !== count) throw new Error(`${prefix}: ${jobs} jobs for ${count} manifests`);
  return warmUp ? {} : { invocations, ms, perSecond: count / (ms / 1000), jobs };
}

await main();
