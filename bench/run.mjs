// npm run bench: every benchmark, one after the other, each in a fresh process. Each prints its
// absolute figures and its ratios against a baseline measured in the same run.
// Handlers must be built first (npm run build:handlers); BENCH_ONLY=cold-load,synth runs a subset.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const BENCHES = ['cold-load', 'synth', 'manifest-validation', 'throughput', 'backlog-drain', 'per-image', 'actions'];
const only = process.env.BENCH_ONLY?.split(',');
const benchDir = new URL('.', import.meta.url).pathname;

let failed = 0;
for (const name of BENCHES.filter((bench) => !only || only.includes(bench))) {
  console.log(`\n# ${name}`);
  const started = Date.now();
  const result = spawnSync(process.execPath, [join(benchDir, `${name}.mjs`)], { stdio: 'inherit' });
  console.log(`(${name}: ${((Date.now() - started) / 1000).toFixed(0)} s)`);
  if (result.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
