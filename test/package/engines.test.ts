import { spawnSync } from 'child_process';
import { cpSync, mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

/**
 * What `engines` promises is what CI runs, and installing the locked dev dependencies on this Node
 * prints no EBADENGINE warning (aws-local-stepfunctions 3 declares Node >= 22 upstream; vendor/
 * holds the copy that runs on Node 20, see scripts/vendor-local-stepfunctions.mjs).
 */
const repo = join(__dirname, '..', '..');
const manifest = require('../../package.json');
const runningMajor = Number(process.versions.node.split('.')[0]);

test('engines.node is a floor this Node meets, and on CI the floor is the Node CI runs', () => {
  const floor = /^>=(\d+)$/.exec(manifest.engines.node);
  expect(floor).not.toBeNull();
  expect(runningMajor).toBeGreaterThanOrEqual(Number(floor![1]));
  if (process.env.CI) expect(runningMajor).toBe(Number(floor![1]));
});

test('npm ci on this Node prints no EBADENGINE warning', () => {
  const work = mkdtempSync(join(tmpdir(), 'engines-'));
  try {
    for (const entry of ['package.json', 'package-lock.json', 'vendor']) cpSync(join(repo, entry), join(work, entry), { recursive: true });
    const result = spawnSync('npm', ['ci', '--dry-run', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=warn'],
      { cwd: work, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
    expect(`exit ${result.status}: ${result.stderr}`).toMatch(/^exit 0: /);
    expect(result.stdout + result.stderr).not.toContain('EBADENGINE');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
