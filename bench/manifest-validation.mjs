// Manifest pre-validation: throughput and peak extra memory on a manifest at Rekognition's limits
// (10,000 lines, 50 MB), against two baselines measured in the same run, each in fresh processes:
//   - byte count: the chunks are only counted (the floor: what streaming the body costs);
//   - readline: node:readline splits the lines, nothing is parsed.
// The validator is bundled with esbuild like the shipped handlers, so the code measured is the code
// deployed. Then: what validation costs per manifest.
//
//   node bench/manifest-validation.mjs            (BENCH_RUNS=5 by default)
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { median, printTable, ratio } from './lib/measure.mjs';

const root = new URL('..', import.meta.url).pathname;
const work = join(root, '.bench', 'manifest-validation');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const LINES = 10_000;
const MAX_BYTES = 50 * 1024 * 1024;
/** S3 delivers an HTTP body in chunks of this order. */
const CHUNK_BYTES = 64 * 1024;
/** Lambda gives a function one vCPU at 1,769 MB and CPU in proportion to memory below that. */
const LAMBDA_MEMORY_MB = 256;
const VCPU_MB = 1769;
// List prices (us-east-1, x86) as of writing; override to check against the current price list.
const GET_PRICE_PER_1000 = Number(process.env.S3_GET_PRICE_PER_1000 ?? 0.0004);
const LAMBDA_PRICE_PER_GB_SECOND = Number(process.env.LAMBDA_PRICE_PER_GB_SECOND ?? 0.0000166667);

const MODES = {
  'byte count (baseline)': 'count',
  'readline, no parsing (baseline)': 'readline',
  validateManifest: 'validate',
};

/**
 * `lines` lines of exactly `lineBytes` bytes: keys of ~1,000 bytes (S3 allows 1,024), then a
 * metadata field fills the line, as Ground Truth-style manifests carry one.
 */
function generateManifest(lines, lineBytes) {
  const frame = '{"source-ref":"s3://images-bucket/.jpg","metadata":""}\n'.length;
  const keyLength = Math.min(1000, lineBytes - frame);
  const parts = [];
  for (let i = 0; i < lines; i++) {
    const key = `photos/${i}/`.padEnd(keyLength, 'k');
    parts.push(`{"source-ref":"s3://images-bucket/${key}.jpg","metadata":"${'m'.repeat(lineBytes - frame - keyLength)}"}\n`);
  }
  return Buffer.from(parts.join(''), 'utf8');
}

function* chunksOf(buffer) {
  for (let start = 0; start < buffer.length; start += CHUNK_BYTES) yield buffer.subarray(start, start + CHUNK_BYTES);
}

// ---- child: one measured pass in a fresh process ----

async function child(mode, what, lineBytes, validatorPath) {
  const manifest = generateManifest(LINES, lineBytes);
  const { validateManifest } = await import(pathToFileURL(validatorPath).href);
  const memory = () => {
    const usage = process.memoryUsage();
    return { rss: usage.rss, heap: usage.heapUsed + usage.arrayBuffers };
  };
  let peak = { rss: 0, heap: 0 };
  function* source() {
    for (const chunk of chunksOf(manifest)) {
      if (what === 'memory') {
        const now = memory();
        peak = { rss: Math.max(peak.rss, now.rss), heap: Math.max(peak.heap, now.heap) };
      }
      yield chunk;
    }
  }
  const passes = {
    async count() {
      let bytes = 0;
      for await (const chunk of Readable.from(source())) bytes += chunk.length;
      return bytes;
    },
    async readline() {
      let lines = 0;
      for await (const _line of createInterface({ input: Readable.from(source()), crlfDelay: Infinity })) lines++;
      return lines;
    },
    async validate() {
      const result = await validateManifest(Readable.from(source()), { contentLength: manifest.length, allowedBuckets: ['images-bucket'] });
      if (result.verdict !== 'ok' || result.totalLines !== LINES) throw new Error(`unexpected validation: ${JSON.stringify(result).slice(0, 300)}`);
      return result.totalLines;
    },
  };
  // Timing: a first full pass warms up the JIT, so compilation is not counted as throughput.
  // Memory: no warm-up, since RSS never shrinks back and would hide the peak of the measured pass.
  if (what === 'time') await passes[mode]();
  globalThis.gc();
  const before = memory();
  peak = { ...before };
  const start = process.hrtime.bigint();
  await passes[mode]();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  process.stdout.write(JSON.stringify({ ms, bytes: manifest.length, extraRss: peak.rss - before.rss, extraHeap: peak.heap - before.heap }));
}

// ---- parent ----

async function bundleValidator() {
  mkdirSync(work, { recursive: true });
  const outfile = join(work, 'validator.mjs');
  await build({
    entryPoints: [join(root, 'lambda', 'common', 'manifest-validation.ts')],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minify: true,
    logLevel: 'warning',
  });
  return outfile;
}

function runChild(mode, what, lineBytes, validator) {
  const result = spawnSync(process.execPath, ['--expose-gc', new URL(import.meta.url).pathname, '--child', mode, what, String(lineBytes), validator], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (result.status !== 0) throw new Error(`${mode} ${what} failed:\n${result.stderr}`);
  return JSON.parse(result.stdout);
}

function measure(lineBytes, validator) {
  const measured = {};
  for (const [name, mode] of Object.entries(MODES)) {
    const times = Array.from({ length: RUNS }, () => runChild(mode, 'time', lineBytes, validator));
    const memories = Array.from({ length: 3 }, () => runChild(mode, 'memory', lineBytes, validator));
    const bytes = times[0].bytes;
    const ms = median(times.map((t) => t.ms));
    measured[name] = { bytes, ms, mbPerSecond: bytes / 1024 / 1024 / (ms / 1000), extraRss: median(memories.map((m) => m.extraRss)), extraHeap: median(memories.map((m) => m.extraHeap)) };
  }
  return measured;
}

const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1);

export async function manifestValidationBench() {
  const validator = await bundleValidator();
  const lineBytes = Math.floor(MAX_BYTES / LINES);
  const measured = measure(lineBytes, validator);
  const count = measured['byte count (baseline)'];
  const readline = measured['readline, no parsing (baseline)'];
  const manifestMb = mb(count.bytes);
  printTable(`Manifest validation: ${LINES.toLocaleString('en-US')} lines, ${manifestMb} MB in ${CHUNK_BYTES / 1024} KB chunks (median of ${RUNS} fresh processes; memory: median of 3)`, Object.entries(measured).map(([name, m]) => ({
    pass: name,
    'ms': m.ms.toFixed(0),
    'MB/s': m.mbPerSecond.toFixed(0),
    'time x byte count': ratio(m.ms, count.ms),
    'time x readline': ratio(m.ms, readline.ms),
    'peak extra RSS (MB)': mb(m.extraRss),
    'peak extra heap+buffers (MB)': mb(m.extraHeap),
  })));

  const validate = measured.validateManifest;
  const share = LAMBDA_MEMORY_MB / VCPU_MB;
  const lambdaSeconds = validate.ms / 1000 / share;
  const lambdaCost = lambdaSeconds * (LAMBDA_MEMORY_MB / 1024) * LAMBDA_PRICE_PER_GB_SECOND;
  const getCost = GET_PRICE_PER_1000 / 1000;
  console.log(`\nCost per ${manifestMb} MB manifest at ${LAMBDA_MEMORY_MB} MB Lambda memory (${(share * 100).toFixed(1)}% of a vCPU, assuming a vCPU as fast as this machine's core):`);
  console.log(`- CPU time: ${validate.ms.toFixed(0)} ms here -> about ${lambdaSeconds.toFixed(1)} s of Lambda time = $${lambdaCost.toFixed(7)} at $${LAMBDA_PRICE_PER_GB_SECOND}/GB-s`);
  console.log(`- one GetObject request: $${getCost.toFixed(7)} at $${GET_PRICE_PER_1000} per 1,000 (in-Region transfer to Lambda is free)`);
  console.log(`- total about $${(lambdaCost + getCost).toFixed(7)} per manifest, i.e. $${((lambdaCost + getCost) * 1000).toFixed(4)} per 1,000 manifests of this size; smaller manifests cost in proportion to their bytes, plus the fixed GET`);
  console.log(`- not measured here: the download itself, billed as Lambda duration: each second of it adds $${((LAMBDA_MEMORY_MB / 1024) * LAMBDA_PRICE_PER_GB_SECOND).toFixed(7)}`);
  return { measured, lambdaSeconds, lambdaCost, getCost };
}

if (process.argv[2] === '--child') {
  const [, , , mode, what, lineBytes, validator] = process.argv;
  await child(mode, what, Number(lineBytes), validator);
} else if (import.meta.url === `file://${process.argv[1]}`) {
  await manifestValidationBench();
}
