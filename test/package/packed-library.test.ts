import { execFile, execFileSync } from 'child_process';
import { createHash } from 'crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { promisify } from 'util';
import { format } from 'pretty-format';

/**
 * Packs the library once, the way `npm publish` would, installs the tarball into two fresh
 * JavaScript apps that have only aws-cdk-lib and constructs (one on the lowest versions the peer
 * range allows, one on the versions this repository develops against), and synthesizes every
 * construct there. The build happens in a staging copy so the assets other tests use are never touched.
 * The staging copy is compiled with jsii, as `npm run build` does, so the same assembly (`.jsii`) that
 * Construct Hub and the other languages' bindings read is what API.md is checked against.
 */
const repo = join(__dirname, '..', '..');
const manifest = require('../../package.json');

/** '^2.269.0' -> '2.269.0': the lowest version a caret range admits. */
function lowestOf(range: string): string {
  const match = /^\^(\d+\.\d+\.\d+)$/.exec(range);
  if (!match) throw new Error(`peer range ${range} is not a caret range`);
  return match[1];
}

const consumers = {
  minimum: {
    'aws-cdk-lib': lowestOf(manifest.peerDependencies['aws-cdk-lib']),
    'constructs': lowestOf(manifest.peerDependencies.constructs),
  },
  latest: {
    'aws-cdk-lib': require('aws-cdk-lib/package.json').version as string,
    'constructs': require('constructs/package.json').version as string,
  },
};
type ConsumerName = keyof typeof consumers;

interface Consumer {
  dir: string;
  assemblyDir: string;
  template: any;
  synthSeconds: number;
}

let work: string;
let staging: string;
/** API.md as jsii-docgen writes it from the staged assembly; generated while the consumer apps install. */
let generatedApiReference: Promise<string>;
const installed = {} as Record<ConsumerName, Consumer>;
// The consumers synthesize as users do: with aws-cdk-lib's template validation, which the suite's
// setup file turns off for the other tests. jsii prints a banner on Node 20 (end of life for jsii
// since 2026-10-30; see README "Install and versions").
const { CDK_VALIDATION: _validationOff, ...userEnv } = process.env;
const npmEnv = { ...userEnv, npm_config_update_notifier: 'false', JSII_SILENCE_SUPPORT_WARNING: '1' };

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: npmEnv });
}

function stageAndPack(): string {
  staging = join(work, 'staging');
  for (const entry of ['package.json', 'lib', 'lambda', 'scripts']) {
    cpSync(join(repo, entry), join(staging, entry), { recursive: true });
  }
  for (const optional of ['README.md', 'API.md', 'LICENSE', 'NOTICE']) {
    if (existsSync(join(repo, optional))) cpSync(join(repo, optional), join(staging, optional));
  }
  symlinkSync(join(repo, 'node_modules'), join(staging, 'node_modules'));
  run(process.execPath, ['scripts/build-handlers.mjs'], staging);
  run('npm', ['run', '--silent', 'compile'], staging);
  const output = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], staging);
  return join(work, JSON.parse(output)[0].filename);
}

async function generateApiReference(): Promise<string> {
  const output = join(work, 'API.generated.md');
  await promisify(execFile)(process.execPath, [join(repo, 'node_modules', 'jsii-docgen', 'bin', 'jsii-docgen'), '--output', output],
    { cwd: staging, env: npmEnv });
  return readFileSync(output, 'utf8');
}

async function install(name: ConsumerName, tarball: string): Promise<string> {
  const dir = join(work, `consumer-${name}`);
  cpSync(join(__dirname, 'consumer-app'), dir, { recursive: true });
  const versions = consumers[name];
  await promisify(execFile)('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts',
    `aws-cdk-lib@${versions['aws-cdk-lib']}`, `constructs@${versions.constructs}`, tarball], { cwd: dir, env: npmEnv });
  return dir;
}

function synthesize(dir: string): Omit<Consumer, 'dir'> {
  const assemblyDir = join(dir, 'cdk.out');
  const started = process.hrtime.bigint();
  run(process.execPath, ['app.js', assemblyDir], dir);
  const synthSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const template = JSON.parse(readFileSync(join(assemblyDir, 'ConsumerStack.template.json'), 'utf8'));
  return { assemblyDir, template, synthSeconds };
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

function packageDir(name: ConsumerName): string {
  return join(installed[name].dir, 'node_modules', 'cdk-bulk-moderation');
}

function triggerFunction(template: any): any {
  return Object.values<any>(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function'
    && r.Properties.Description?.startsWith('Starts a Rekognition bulk moderation job'));
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'packed-library-'));
  const tarball = stageAndPack();
  generatedApiReference = generateApiReference();
  generatedApiReference.catch(() => undefined); // awaited (and reported) by its test
  const names = Object.keys(consumers) as ConsumerName[];
  const dirs = await Promise.all(names.map((name) => install(name, tarball)));
  names.forEach((name, i) => { installed[name] = { dir: dirs[i], ...synthesize(dirs[i]) }; });
  console.log(names.map((name) => `${name} (aws-cdk-lib ${consumers[name]['aws-cdk-lib']}): synth ${installed[name].synthSeconds.toFixed(1)} s`).join('; '));
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('the peer range starts at the lowest versions found to work, below the ones developed against', () => {
  expect(consumers.minimum).toEqual({ 'aws-cdk-lib': '2.269.0', 'constructs': '10.5.0' });
  const [minor, latestMinor] = [consumers.minimum, consumers.latest].map((v) => Number(v['aws-cdk-lib'].split('.')[1]));
  expect(minor).toBeLessThan(latestMinor);
});

test('the tarball ships compiled JavaScript, type declarations, pre-bundled handlers, LICENSE and NOTICE, not sources', () => {
  const dir = packageDir('latest');
  for (const file of ['dist/index.js', 'dist/index.d.ts', 'dist/testing/index.js', 'dist/testing/index.d.ts',
    'assets/trigger/index.mjs', '.jsii', 'API.md', 'LICENSE', 'NOTICE']) {
    expect(`${file}: ${existsSync(join(dir, file))}`).toBe(`${file}: true`);
  }
  for (const file of ['lib', 'lambda', 'dist/tsconfig.tsbuildinfo']) {
    expect(`${file}: ${existsSync(join(dir, file))}`).toBe(`${file}: false`);
  }
});

test('the jsii assembly names a package for every language and carries the Construct Hub metadata', () => {
  const assembly = JSON.parse(readFileSync(join(packageDir('latest'), '.jsii'), 'utf8'));
  expect(Object.keys(assembly.targets).sort()).toEqual(['dotnet', 'go', 'java', 'js', 'python']);
  expect(assembly.targets.python).toEqual({ distName: 'cdk-bulk-moderation', module: 'cdk_bulk_moderation' });
  expect(assembly.keywords).toEqual(expect.arrayContaining(['aws-cdk', 'cdk', 'awscdk', 'rekognition', 'content-moderation']));
  expect(assembly.repository.url).toBe(manifest.repository.url);
  expect(assembly.homepage).toBe(manifest.homepage);
  expect(Object.keys(assembly.types)).toEqual(expect.arrayContaining(
    ['ModerationPipeline', 'ModerationPipelineProps', 'ModerationJob', 'ModerationJobProps', 'ModerationEngine']
      .map((name) => `cdk-bulk-moderation.${name}`)));
});

test('API.md is what jsii-docgen generates from the assembly (run `npm run docgen` and commit API.md if this fails)', async () => {
  const committed = readFileSync(join(repo, 'API.md'), 'utf8');
  const fresh = await generatedApiReference;
  if (committed !== fresh) {
    const [mine, theirs] = [committed.split('\n'), fresh.split('\n')];
    const line = mine.findIndex((text, i) => text !== theirs[i]);
    throw new Error(`API.md is stale: it differs from jsii-docgen's output from line ${(line < 0 ? mine.length : line) + 1}`
      + ` (committed: ${JSON.stringify(mine[line] ?? '<end>')}). Run \`npm run build && npm run docgen\` and commit API.md.`);
  }
}, 120_000);

test('LICENSE is the Apache License 2.0 the package declares', () => {
  const license = readFileSync(join(packageDir('latest'), 'LICENSE'), 'utf8');
  expect(manifest.license).toBe('Apache-2.0');
  expect(license).toContain('Apache License');
  expect(license).toContain('Version 2.0, January 2004');
  expect(license).toContain('END OF TERMS AND CONDITIONS');
});

test('NOTICE names every third-party package bundled into the handlers, with its license', () => {
  const notice = readFileSync(join(packageDir('latest'), 'NOTICE'), 'utf8');
  const bundled: Array<{ name: string; version: string; license: string }> =
    JSON.parse(run(process.execPath, ['scripts/notice.mjs', '--json'], repo));
  expect(bundled.map((p) => p.name)).toEqual(expect.arrayContaining(['@aws-sdk/client-rekognition', '@smithy/core']));
  const missing = bundled.filter((p) => !notice.includes(`${p.name}@${p.version}\n  License: ${p.license}\n`));
  expect(missing.map((p) => `${p.name}@${p.version}`)).toEqual([]);
  const listed = notice.match(/^\S+@\d\S*$/gm) ?? [];
  expect(listed.sort()).toEqual(bundled.map((p) => `${p.name}@${p.version}`).sort());
});

describe.each(Object.keys(consumers) as ConsumerName[])('a consumer app on the %s aws-cdk-lib and constructs', (name) => {
  test('installs exactly those versions next to the library', () => {
    const versionOf = (pkg: string) => JSON.parse(readFileSync(join(installed[name].dir, 'node_modules', pkg, 'package.json'), 'utf8')).version;
    expect({ 'aws-cdk-lib': versionOf('aws-cdk-lib'), 'constructs': versionOf('constructs') }).toEqual(consumers[name]);
  });

  test('needs no esbuild, TypeScript or AWS SDK of its own', () => {
    const installedPackages = readdirSync(join(installed[name].dir, 'node_modules'));
    expect(installedPackages).not.toContain('esbuild');
    expect(installedPackages).not.toContain('typescript');
    expect(installedPackages).not.toContain('@aws-sdk');
  });

  test('synthesizes every construct with the shipped handler code as its Lambda asset', () => {
    const { template, assemblyDir } = installed[name];
    const states = Object.values<any>(template.Resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine');
    expect(states.length).toBeGreaterThanOrEqual(3);
    const trigger = triggerFunction(template);
    expect(trigger.Properties.Runtime).toBe('nodejs24.x');

    const assetHash = trigger.Properties.Code.S3Key.replace(/\.zip$/, '');
    expect(readFileSync(join(assemblyDir, `asset.${assetHash}`, 'index.mjs'), 'utf8'))
      .toBe(readFileSync(join(packageDir(name), 'assets', 'trigger', 'index.mjs'), 'utf8'));
  });
});

test('the same resources (logical IDs) come out on the minimum and the latest aws-cdk-lib', () => {
  expect(Object.keys(installed.minimum.template.Resources).sort()).toEqual(Object.keys(installed.latest.template.Resources).sort());
});

test('handler assets built from a clean copy are byte-identical to the ones built here (stable asset hashes)', () => {
  const packed = join(packageDir('latest'), 'assets');
  const local = join(repo, 'assets');
  for (const handler of readdirSync(packed)) {
    expect(`${handler}:${hashDirectory(join(packed, handler))}`).toBe(`${handler}:${hashDirectory(join(local, handler))}`);
  }
});

test('cdk-bulk-moderation/testing blanks asset hashes and inline provider code in a consumer\'s snapshot, and keeps the rest', () => {
  const entry = require.resolve('cdk-bulk-moderation/testing', { paths: [installed.latest.dir] });
  expect(entry).toBe(join(packageDir('latest'), 'dist', 'testing', 'index.js'));
  const serializer = require(entry);
  expect(serializer.assetHashSerializer).toEqual({ test: serializer.test, serialize: serializer.serialize });
  const { template } = installed.latest;

  const plain = format(template);
  const snapshot = format(template, { plugins: [serializer] });
  const trigger = triggerFunction(template);
  expect(plain).toContain(trigger.Properties.Code.S3Key);
  expect(plain).toMatch(/"ZipFile": "[^<]/);

  expect(snapshot).not.toMatch(/[0-9a-f]{64}/);
  expect(snapshot).toContain('"S3Key": "<asset-hash>.zip"');
  expect(snapshot).toContain('"ZipFile": "<inline-code (aws-cdk-lib version dependent)>"');
  expect(snapshot).toContain('"Runtime": "nodejs24.x"');
  expect(snapshot).toContain(`"Description": "${trigger.Properties.Description}"`);

  // Everything else prints as it would without the serializer.
  const expected = JSON.parse(JSON.stringify(template).replace(/[0-9a-f]{64}/g, '<asset-hash>'),
    (key, value) => (key === 'ZipFile' && typeof value === 'string' ? '<inline-code (aws-cdk-lib version dependent)>' : value));
  expect(snapshot).toBe(format(expected));
});
