// Moderation actions: images actioned per second by the shipped actions bundle (assets/actions)
// against a local S3 server (s3rver: object tagging, no versioning) and a local EventBridge, and
// the cost per 10,000 images of the actions beside the Rekognition cost.
// BENCH_IMAGES (default 2000) sets the manifest size. Handlers must be built first.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printTable } from './lib/measure.mjs';
import { PRICES } from './lib/per-image-cost.mjs';

const require = createRequire(import.meta.url);
const S3rver = require('s3rver');
const { S3Client, CreateBucketCommand, PutObjectCommand, PutObjectTaggingCommand } = require('@aws-sdk/client-s3');

const root = new URL('..', import.meta.url).pathname;
const IMAGES = Number(process.env.BENCH_IMAGES ?? 2000);
// Custom events on a bus: $1.00 per million (64 KB chunks; an image event is under 2 KB).
// Third-party summaries of the us-east-1 pricing page, March and June 2026; a list price, not a quote.
const EVENT_PRICE = 1.0 / 1_000_000;
const MEMORY_GB = 0.5;
const TOKEN = 'e'.repeat(64);
// The same mixed policy as the actions tests (test/support/actions/mixed-policy.json).
const POLICY = JSON.parse(readFileSync(join(root, 'test/support/actions/mixed-policy.json'), 'utf8'));

const directory = mkdtempSync(join(tmpdir(), 'bench-actions-'));
const s3server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: 'images' }, { name: 'output' }] });
const { port } = await s3server.run();
const s3url = `http://127.0.0.1:${port}`;
let entries = 0;
const events = createServer((request, response) => {
  let body = '';
  request.on('data', (chunk) => (body += chunk));
  request.on('end', () => {
    const { Entries } = JSON.parse(body);
    entries += Entries.length;
    response.setHeader('content-type', 'application/x-amz-json-1.1');
    response.end(JSON.stringify({ FailedEntryCount: 0, Entries: Entries.map((_, i) => ({ EventId: `e${entries}-${i}` })) }));
  });
});
await new Promise((resolve) => events.listen(0, '127.0.0.1', resolve));
const eventsUrl = `http://127.0.0.1:${events.address().port}`;

const s3 = new S3Client({
  region: 'us-east-1', endpoint: s3url, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
});
const labels = (i) => (i % 10 === 0 ? [{ Name: 'Explicit', ParentName: '', TaxonomyLevel: 1, Confidence: 91 }]
  : i % 10 === 1 ? [{ Name: 'Violence', ParentName: '', TaxonomyLevel: 1, Confidence: 72 }] : []);
console.log(`seeding ${IMAGES} images...`);
for (let start = 0; start < IMAGES; start += 50) {
  await Promise.all(Array.from({ length: Math.min(50, IMAGES - start) }, async (_, j) => {
    const key = `photos/${start + j}.jpg`;
    await s3.send(new PutObjectCommand({ Bucket: 'images', Key: key, Body: 'jpeg' }));
    if ((start + j) % 3 === 0) await s3.send(new PutObjectTaggingCommand({ Bucket: 'images', Key: key, Tagging: { TagSet: [{ Key: 'app', Value: 'x' }] } }));
  }));
}
const prefix = 'results/bench/eeeeeeeeeeee';
const resultsKey = `${prefix}/job/results/output.jsonl`;
const lines = Array.from({ length: IMAGES }, (_, i) => JSON.stringify({ 'source-ref': `s3://images/photos/${i}.jpg`, 'detect-moderation-labels': { ModerationLabels: labels(i), ModerationModelVersion: '7.0' } }));
await s3.send(new PutObjectCommand({ Bucket: 'output', Key: resultsKey, Body: `${lines.join('\n')}\n` }));

const detail = {
  version: '1', pipeline: 'bench', engine: 'bulk', fallbackReason: null, jobId: 'job', jobName: 'job', token: TOKEN, status: 'SUCCEEDED',
  manifest: { bucket: 'in', key: 'm.jsonl', version: null }, failure: null,
  output: { bucket: 'output', prefix, results: `s3://output/${resultsKey}`, summary: null, flaggedImages: null, errorReport: null },
  statistics: null, moderation: null, timing: { createdAt: null, completedAt: null, durationSeconds: null },
};
const state = { token: TOKEN, engine: 'bulk', manifest: detail.manifest, jobName: 'job', jobId: 'job', output: { bucket: 'output', prefix }, step: { done: true, status: 'SUCCEEDED', detail } };

const env = {
  PATH: process.env.PATH ?? '', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
  AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_ENDPOINT_URL_S3: s3url, AWS_ENDPOINT_URL_EVENTBRIDGE: eventsUrl, S3_FORCE_PATH_STYLE: 'true',
  AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED', AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
  MODERATION_POLICY: JSON.stringify(POLICY), PIPELINE_ID: 'bench',
};
const started = process.hrtime.bigint();
const response = await new Promise((resolve, reject) => {
  const child = spawn(process.execPath, ['--no-warnings', join(root, 'test/support/run-bundled-handler.mjs'), join(root, 'assets/actions/index.mjs')], { env, stdio: ['pipe', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  child.on('error', reject);
  child.on('close', () => resolve(JSON.parse(out)));
  child.stdin.end(JSON.stringify(state));
});
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const actions = response.detail?.actions;
if (!actions || actions.imagesEvaluated !== IMAGES) throw new Error(`unexpected answer: ${JSON.stringify(response)}`);

const perImageSeconds = seconds / IMAGES;
const scale = 10_000 / IMAGES;
const costs = {
  s3Tagging: 10_000 * PRICES.s3PerGet + actions.tagged * scale * PRICES.s3PerPut,
  events: actions.eventsPublished * scale * EVENT_PRICE,
  lambda: 10_000 * perImageSeconds * MEMORY_GB * PRICES.lambdaPerGbSecond + PRICES.lambdaPerRequest,
};
const actionsTotal = costs.s3Tagging + costs.events + costs.lambda;
printTable(`Moderation actions, ${IMAGES} images on s3rver (20% flagged with events, every image tagged)`, [{
  images: IMAGES,
  seconds: seconds.toFixed(1),
  'images/s': Math.round(IMAGES / seconds),
  'est. s for 10,000': Math.round(10_000 * perImageSeconds),
  'Lambda limit (s)': 900,
}]);
printTable('Cost per 10,000 images (USD, list prices; see README)', [{
  'S3 tagging (GET+PUT)': costs.s3Tagging.toFixed(4),
  'EventBridge events': costs.events.toFixed(4),
  'Lambda (512 MB arm64, at the local rate)': costs.lambda.toFixed(4),
  'actions total': actionsTotal.toFixed(4),
  'Rekognition moderation': (10_000 * PRICES.rekognitionPerImage).toFixed(2),
  'actions / Rekognition': `${((actionsTotal / (10_000 * PRICES.rekognitionPerImage)) * 100).toFixed(1)} %`,
}]);

s3.destroy();
events.close();
await s3server.close();
rmSync(directory, { recursive: true, force: true });
