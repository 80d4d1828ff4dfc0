// Synth time of the example app against a single-bucket app, both run the way cdk.json runs the
// example (tsx), in fresh processes, in the same run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printTable, ratio, timeCommand } from './lib/measure.mjs';

const root = new URL('..', import.meta.url).pathname;
const tsx = join(root, 'node_modules', '.bin', 'tsx');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

function synthMs(entry) {
  const outdir = mkdtempSync(join(tmpdir(), 'bench-synth-'));
  try {
    return timeCommand(tsx, [entry], { runs: RUNS, cwd: root, env: { CDK_OUTDIR: outdir } });
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

export function synthBench() {
  const baseline = synthMs('bench/apps/single-bucket.ts');
  const example = synthMs('bin/app.ts');
  printTable(`Synth (tsx, median of ${RUNS} after a warm-up)`, [
    { app: 'single bucket (baseline)', 'ms': baseline.toFixed(0), ratio: 1 },
    { app: 'example app (bin/app.ts)', 'ms': example.toFixed(0), ratio: ratio(example, baseline) },
  ]);
  return { baseline, example };
}

if (import.meta.url === `file://${process.argv[1]}`) synthBench();
