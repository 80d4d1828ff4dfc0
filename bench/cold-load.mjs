// Size and cold import time of each shipped handler bundle, against two baselines built the same
// way in the same run: an empty handler, and a handler that only creates a Rekognition client.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { esbuildOptions } from '../scripts/build-handlers.mjs';
import { directorySize, median, printTable, ratio } from './lib/measure.mjs';

const root = new URL('..', import.meta.url).pathname;
const work = join(root, '.bench', 'cold-load');
const RUNS = Number(process.env.BENCH_RUNS ?? 15);

const baselines = {
  'empty handler': 'export const handler = async () => ({});',
  'bare Rekognition client': [
    "import { RekognitionClient, StartMediaAnalysisJobCommand } from '@aws-sdk/client-rekognition';",
    'const client = new RekognitionClient({});',
    'export const handler = async (input) => client.send(new StartMediaAnalysisJobCommand(input));',
  ].join('\n'),
};

async function buildBaselines() {
  rmSync(work, { recursive: true, force: true });
  const dirs = {};
  for (const [name, source] of Object.entries(baselines)) {
    const dir = join(work, name.replace(/\W+/g, '-'));
    mkdirSync(dir, { recursive: true });
    const entry = join(dir, 'entry.ts');
    writeFileSync(entry, source);
    await build({ ...esbuildOptions(entry, join(dir, 'out')), nodePaths: [join(root, 'node_modules')] });
    dirs[name] = join(dir, 'out');
  }
  return dirs;
}

/** Median time to import index.mjs in a fresh node process (what a Lambda cold start pays for the code). */
function coldImportMs(dir) {
  const script = `const t=performance.now();await import(${JSON.stringify(join(dir, 'index.mjs'))});process.stdout.write(String(performance.now()-t));`;
  const times = [];
  for (let i = 0; i <= RUNS; i++) {
    // The per-image batch function reads its settings when loaded, as Lambda gives them.
    const env = { ...process.env, AWS_REGION: 'us-east-1', CALLS_PER_SECOND: '5' };
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env });
    if (result.status !== 0) throw new Error(result.stderr);
    if (i > 0) times.push(Number(result.stdout));
  }
  return median(times);
}

function entrySize(dir) {
  return statSync(join(dir, 'index.mjs')).size;
}

export async function coldLoadBench() {
  const baselineDirs = await buildBaselines();
  const handlerDirs = Object.fromEntries(readdirSync(join(root, 'assets')).map((name) => [name, join(root, 'assets', name)]));
  const measured = {};
  for (const [name, dir] of Object.entries({ ...baselineDirs, ...handlerDirs })) {
    measured[name] = { importMs: coldImportMs(dir), entryBytes: entrySize(dir), assetBytes: directorySize(dir) };
  }
  const bare = measured['bare Rekognition client'];
  const empty = measured['empty handler'];
  const rows = Object.entries(measured).map(([name, m]) => ({
    bundle: name,
    'cold import (ms, median)': m.importMs.toFixed(1),
    'x empty': ratio(m.importMs, empty.importMs),
    'x bare client': ratio(m.importMs, bare.importMs),
    'index.mjs (KB)': (m.entryBytes / 1024).toFixed(0),
    'whole asset (KB)': (m.assetBytes / 1024).toFixed(0),
    'asset x bare client': ratio(m.assetBytes, bare.assetBytes),
  }));
  printTable(`Handler bundles: cold import over ${RUNS} fresh processes, sizes`, rows);
  return measured;
}

if (import.meta.url === `file://${process.argv[1]}`) await coldLoadBench();
