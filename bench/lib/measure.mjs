// Small measuring helpers shared by the bench scripts: repeated runs, medians, ratios.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Runs a command `runs` times (after one warm-up run) and returns the median wall time in ms. */
export function timeCommand(command, args, { runs = 5, cwd, env } = {}) {
  const times = [];
  for (let i = 0; i <= runs; i++) {
    const start = process.hrtime.bigint();
    const result = spawnSync(command, args, { cwd, env: { ...process.env, ...env }, stdio: 'pipe' });
    const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stderr}`);
    if (i > 0) times.push(elapsed);
  }
  return median(times);
}

export function directorySize(dir) {
  return readdirSync(dir, { withFileTypes: true }).reduce((total, entry) => {
    const path = join(dir, entry.name);
    return total + (entry.isDirectory() ? directorySize(path) : statSync(path).size);
  }, 0);
}

export function ratio(value, baseline) {
  return Math.round((value / baseline) * 100) / 100;
}

export function printTable(title, rows) {
  console.log(`\n## ${title}`);
  const headers = Object.keys(rows[0]);
  console.log(`| ${headers.join(' | ')} |`);
  console.log(`|${headers.map(() => '---').join('|')}|`);
  for (const row of rows) console.log(`| ${headers.map((h) => row[h]).join(' | ')} |`);
}
