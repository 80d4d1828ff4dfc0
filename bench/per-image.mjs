// Per-image engine: images per second through the shipped batch function at the configured rate,
// against the Rekognition double enforcing that rate as its DetectModerationLabels TPS quota, and
// the cost per 10,000 images of both engines.
//
//   npm run build:handlers && node bench/per-image.mjs
//   BENCH_TPS=50 BENCH_IMAGES=2000 node bench/per-image.mjs
//   BENCH_TPS=50 BENCH_QUOTA=40 node bench/per-image.mjs   (a quota shared with other callers: throttling)
//
// The Map is played by this script: batches of the size the construct configures, at most
// MaxConcurrency at once, each one run of assets/per-image-batch in its own Node process (a cold
// Lambda start every time: the pessimistic case), with the environment the construct sets.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { register } from 'tsx/cjs/api';
import { bulkCost, perImageCost, PRICES } from './lib/per-image-cost.mjs';
import { printTable } from './lib/measure.mjs';

// The sizing and the test doubles are TypeScript (CommonJS): loaded through tsx.
register();
const require = createRequire(import.meta.url);
const root = new URL('..', import.meta.url).pathname;
const { sizePerImageRun } = require('../lib/per-image/per-image-sizing.ts');
const { startLocalS3, LOCAL_S3_CREDENTIALS, LOCAL_S3_CLIENT_ENV } = require('../test/support/local-s3.ts');
const { startRekognitionDouble, SimulatedClock, moderateImageKey } = require('../test/support/rekognition-double/index.ts');
const { localS3Client } = require('../test/support/per-image/s3.ts');
const { itemsPerBatch } = require('../lambda/per-image/per-image-batching.ts');
const { PutObjectCommand } = require('@aws-sdk/client-s3');

const TPS = Number(process.env.BENCH_TPS ?? 50);
// The double's quota; below TPS it stands for other callers sharing the account's quota (throttling).
const QUOTA = Number(process.env.BENCH_QUOTA ?? TPS);
const IMAGES = Number(process.env.BENCH_IMAGES ?? 2000);
const BUNDLE = join(root, 'assets', 'per-image-batch', 'index.mjs');
const RUNNER = join(root, 'test', 'support', 'run-bundled-handler.mjs');

export async function perImageBench() {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run 'npm run build:handlers' first`);
  const sizing = sizePerImageRun(TPS);
  const s3 = await startLocalS3(['images']);
  const client = localS3Client(s3.url);
  const double = await startRekognitionDouble({
    s3: { endpoint: s3.url },
    clock: new SimulatedClock({ start: Date.now(), scale: 1 }),
    tps: { DetectModerationLabels: QUOTA },
  });
  try {
    const distinct = Math.min(IMAGES, 500);
    const keys = Array.from({ length: distinct }, (_, i) => `bench/${['explicit', 'violence', 'calm', 'swimwear'][i % 4]}-${i}.jpg`);
    for (const key of keys) await client.send(new PutObjectCommand({ Bucket: 'images', Key: key, Body: 'image' }));
    const items = Array.from({ length: IMAGES }, (_, i) => ({ line: i + 1, bucket: 'images', key: keys[i % distinct], sourceRef: `s3://images/${keys[i % distinct]}` }));
    // As Prepare sizes the first round: at most sizing.itemsPerBatch, in whole waves of MaxConcurrency.
    const batchSize = itemsPerBatch(items.length, sizing.maxConcurrency, sizing.itemsPerBatch);
    const batches = [];
    for (let i = 0; i < items.length; i += batchSize) batches.push(items.slice(i, i + batchSize));

    const env = {
      PATH: process.env.PATH ?? '',
      AWS_CONFIG_FILE: '/nonexistent',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_REKOGNITION: double.url,
      AWS_ENDPOINT_URL_S3: s3.url,
      S3_FORCE_PATH_STYLE: 'true',
      ...LOCAL_S3_CLIENT_ENV,
      CALLS_PER_SECOND: String(sizing.callsPerSecondPerChild),
      MAX_IN_FLIGHT: String(sizing.maxInFlight),
    };
    const results = new Array(batches.length);
    let next = 0;
    const started = Date.now();
    await Promise.all(Array.from({ length: Math.min(sizing.maxConcurrency, batches.length) }, async () => {
      while (next < batches.length) {
        const index = next++;
        results[index] = await runBatch({ Items: batches[index], BatchInput: { output: { bucket: 'images', prefix: 'bench' }, round: 1 } }, env);
      }
    }));
    const wallSeconds = (Date.now() - started) / 1000;

    const lineResults = results.flatMap((output) => output.results ?? []);
    const analysed = lineResults.filter((result) => 'labels' in result);
    const wrong = analysed.filter((result) => JSON.stringify(result.labels) !== JSON.stringify(sortedLabels(moderateImageKey(items[result.line - 1].key))));
    const calls = double.calls.of('DetectModerationLabels');
    const served = calls.filter((call) => call.error === undefined);
    const throttled = calls.filter((call) => call.error === 'ThrottlingException');
    const callSeconds = (served[served.length - 1].at - calls[0].at) / 1000;
    const lost = IMAGES - analysed.length;

    printTable(`Per-image throughput: ${IMAGES} images, DetectModerationLabels quota ${QUOTA} TPS, configured rate ${TPS}/s`, [
      { measure: 'MaxConcurrency x calls/s per child; batches x size', value: `${sizing.maxConcurrency} x ${round(sizing.callsPerSecondPerChild, 2)}; ${batches.length} x ${batchSize}` },
      { measure: 'images/s, first call to last answer', value: `${round(served.length / callSeconds, 1)} (${round((100 * served.length) / callSeconds / QUOTA, 1)}% of the quota)` },
      { measure: 'images/s, wall clock incl. process starts', value: `${round(IMAGES / wallSeconds, 1)} (${round((100 * IMAGES) / wallSeconds / QUOTA, 1)}% of the quota)` },
      { measure: 'throttled calls (retried)', value: `${throttled.length} (${round((100 * throttled.length) / calls.length, 2)}% of calls)` },
      { measure: 'images lost (not analysed in the round)', value: lost },
      { measure: 'labels different from the double\'s', value: wrong.length },
    ]);
    return { tps: TPS, quota: QUOTA, images: IMAGES, ratePerSecond: served.length / callSeconds, wallRatePerSecond: IMAGES / wallSeconds, throttled: throttled.length, lost, wrong: wrong.length, sizing };
  } finally {
    client.destroy();
    await double.stop();
    await s3.stop();
  }
}

export function perImageCostTable() {
  const rows = [
    ['bulk (StartMediaAnalysisJob), 60-minute job, 5-minute polls', bulkCost({ jobMinutes: 60 })],
    ...[5, 50].map((rate) => {
      const sizing = sizePerImageRun(rate);
      return [`per-image at ${rate}/s, Express children`, perImageCost({ imagesPerSecond: rate, itemsPerBatch: sizing.itemsPerBatch, perChildRate: sizing.callsPerSecondPerChild })];
    }),
    ['per-image at 5/s, Standard children (not used)', perImageCost({ childType: 'STANDARD' })],
    ['bulk, images in a bucket without S3 Bucket Keys', bulkCost({ jobMinutes: 60, bucketKeys: false })],
    ['per-image at 5/s, images in a bucket without S3 Bucket Keys', perImageCost({ bucketKeys: false })],
  ];
  const money = (value) => `$${value < 0.01 ? value.toFixed(4) : value.toFixed(2)}`;
  printTable(`Cost per 10,000 images (USD). ${PRICES.source}`, rows.map(([engine, cost]) => ({
    engine,
    Rekognition: money(cost.rekognition),
    'Step Functions': money(cost.stepFunctions),
    Lambda: money(cost.lambda),
    'S3 requests': money(cost.s3Requests),
    'KMS requests': money(cost.kms),
    'Logs (ALL)': money(cost.logs),
    total: money(cost.total),
    duration: cost.minutes === null ? 'service-paced' : `${round(cost.minutes, 1)} min`,
  })));
  return rows.map(([engine, cost]) => ({ engine, ...cost }));
}

function runBatch(event, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--no-warnings', RUNNER, BUNDLE], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`batch failed (${code}): ${stdout}${stderr.slice(-2000)}`));
      else {
        try {
          resolve(JSON.parse(stdout));
        } catch {
          reject(new Error(`batch answered no JSON on stdout:\n${stdout.slice(0, 500)}\n${stderr.slice(-500)}`));
        }
      }
    });
    child.stdin.end(JSON.stringify(event));
  });
}

/** The SDK writes a label's members in its schema's order; compare like with like. */
function sortedLabels(moderation) {
  const order = (object, keys) => Object.fromEntries(keys.filter((key) => key in object).map((key) => [key, object[key]]));
  return {
    ModerationLabels: moderation.ModerationLabels.map((label) => order(label, ['Confidence', 'Name', 'ParentName', 'TaxonomyLevel'])),
    ModerationModelVersion: moderation.ModerationModelVersion,
    ContentTypes: moderation.ContentTypes.map((type) => order(type, ['Confidence', 'Name'])),
  };
}

function round(value, digits) {
  return Number(value.toFixed(digits));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const throughput = await perImageBench();
  perImageCostTable();
  const ok = throughput.ratePerSecond >= 0.9 * Math.min(TPS, QUOTA) && throughput.lost === 0 && throughput.wrong === 0;
  console.log(`\nTarget (>= 90% of the quota, zero lost images): ${ok ? 'met' : 'NOT met'}`);
  process.exitCode = ok ? 0 : 1;
}
