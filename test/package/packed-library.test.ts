import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

/**
 * Packs the library the way `npm publish` would, installs the tarball into a fresh JavaScript
 * app that has only aws-cdk-lib and constructs, and synthesizes a stack with it there.
 * The build happens in a staging copy so the assets other tests use are never touched.
 */
const repo = join(__dirname, '..', '..');
const peerVersions = {
  'aws-cdk-lib': require('aws-cdk-lib/package.json').version as string,
  'constructs': require('constructs/package.json').version as string,
};

let work: string;
let consumer: string;
let synthesized: { template: any; assemblyDir: string };

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' } });
}

function stageAndPack(): string {
  const staging = join(work, 'staging');
  for (const entry of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'lib', 'lambda', 'scripts']) {
    cpSync(join(repo, entry), join(staging, entry), { recursive: true });
  }
  for (const optional of ['README.md', 'LICENSE']) {
    if (existsSync(join(repo, optional))) cpSync(join(repo, optional), join(staging, optional));
  }
  symlinkSync(join(repo, 'node_modules'), join(staging, 'node_modules'));
  run(process.execPath, ['scripts/build-handlers.mjs'], staging);
  run(process.execPath, [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], staging);
  const output = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], staging);
  return join(work, JSON.parse(output)[0].filename);
}

function hashDirectory(dir: string): string {
  const hash = createHash('sha256');
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) walk(path);
      else hash.update(path.slice(dir.length)).update(readFileSync(path));
    }
  };
  walk(dir);
  return hash.digest('hex');
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'packed-library-'));
  const tarball = stageAndPack();

  consumer = join(work, 'consumer');
  cpSync(join(__dirname, 'consumer-app'), consumer, { recursive: true });
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts',
    `aws-cdk-lib@${peerVersions['aws-cdk-lib']}`, `constructs@${peerVersions.constructs}`, tarball], consumer);

  const assemblyDir = join(work, 'cdk.out');
  run(process.execPath, ['app.js', assemblyDir], consumer);
  const template = JSON.parse(readFileSync(join(assemblyDir, 'ConsumerStack.template.json'), 'utf8'));
  synthesized = { template, assemblyDir };
}, 180_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('the tarball ships compiled JavaScript, type declarations and pre-bundled handlers, not sources', () => {
  const installed = join(consumer, 'node_modules', 'cdk-bulk-moderation');
  expect(existsSync(join(installed, 'dist', 'index.js'))).toBe(true);
  expect(existsSync(join(installed, 'dist', 'index.d.ts'))).toBe(true);
  expect(existsSync(join(installed, 'assets', 'trigger', 'index.mjs'))).toBe(true);
  expect(existsSync(join(installed, 'lib'))).toBe(false);
  expect(existsSync(join(installed, 'lambda'))).toBe(false);
});

test('the consumer needs no esbuild, TypeScript or AWS SDK of its own', () => {
  const installedPackages = readdirSync(join(consumer, 'node_modules'));
  expect(installedPackages).not.toContain('esbuild');
  expect(installedPackages).not.toContain('typescript');
  expect(installedPackages).not.toContain('@aws-sdk');
});

test('the consumer synthesizes the pipeline with the shipped handler code as its Lambda asset', () => {
  const functions = Object.values<any>(synthesized.template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
  const trigger = functions.find((f) => f.Properties.Description?.startsWith('Starts a Rekognition bulk moderation job'));
  expect(trigger).toBeDefined();
  expect(trigger.Properties.Runtime).toBe('nodejs24.x');

  const assetHash = trigger.Properties.Code.S3Key.replace(/\.zip$/, '');
  const stagedAsset = join(synthesized.assemblyDir, `asset.${assetHash}`);
  expect(readFileSync(join(stagedAsset, 'index.mjs'), 'utf8'))
    .toBe(readFileSync(join(consumer, 'node_modules', 'cdk-bulk-moderation', 'assets', 'trigger', 'index.mjs'), 'utf8'));
});

test('handler assets built from a clean copy are byte-identical to the ones built here (stable asset hashes)', () => {
  const packed = join(consumer, 'node_modules', 'cdk-bulk-moderation', 'assets');
  const local = join(repo, 'assets');
  for (const handler of readdirSync(packed)) {
    expect(`${handler}:${hashDirectory(join(packed, handler))}`).toBe(`${handler}:${hashDirectory(join(local, handler))}`);
  }
});
