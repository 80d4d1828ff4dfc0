// Synth time of the example app against a single-bucket app, both run the way cdk.json runs the
// example (tsx), in fresh processes, in the same run: once as aws-cdk-lib runs by default (its
// built-in CloudFormation template validation on), once with that validation off
// (CDK_VALIDATION=false), which shows what the constructs themselves cost.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printTable, ratio, timeCommand } from './lib/measure.mjs';

const root = new URL('..', import.meta.url).pathname;
const tsx = join(root, 'node_modules', '.bin', 'tsx');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

function synthMs(entry, env) {
  const outdir = mkdtempSync(join(tmpdir(), 'bench-synth-'));
  try {
    return timeCommand(tsx, [entry], { runs: RUNS, cwd: root, env: { CDK_OUTDIR: outdir, ...env } });
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

export function synthBench() {
  const rows = [];
  for (const [label, env] of [['default (template validation on)', {}], ['CDK_VALIDATION=false', { CDK_VALIDATION: 'false' }]]) {
    const baseline = synthMs('bench/apps/single-bucket.ts', env);
    const example = synthMs('bin/app.ts', env);
    rows.push({ run: label, 'single bucket (ms)': baseline.toFixed(0), 'example app (ms)': example.toFixed(0), ratio: ratio(example, baseline) });
  }
  printTable(`Synth (tsx, median of ${RUNS} after a warm-up)`, rows);
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) synthBench();
