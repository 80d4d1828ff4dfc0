// Rebuilds vendor/aws-local-stepfunctions-3.0.0-node20.tgz from the registry's 3.0.0 (MIT).
//
// Why: 3.0.0 is the only published version and declares engines.node >=22 for one call,
// Promise.withResolvers (Node >= 22), so `npm ci` on our Node 20 CI warned EBADENGINE. The vendored copy
// replaces that call with its plain-Promise equivalent and then honestly declares Node >= 20; nothing
// else changes. Drop it when upstream supports Node 20 or CI moves to Node 22.
//
// Run: node scripts/vendor-local-stepfunctions.mjs (needs the npm registry, tar and gzip).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const VERSION = '3.0.0';
const root = new URL('..', import.meta.url).pathname;
const target = join(root, 'vendor', `aws-local-stepfunctions-${VERSION}-node20.tgz`);
const WITH_RESOLVERS = 'Promise.withResolvers()';
const PLAIN_PROMISE = '(() => { let resolve, reject; const promise = new Promise((res, rej) => { resolve = res; reject = rej; }); return { promise, resolve, reject }; })()';

const work = mkdtempSync(join(tmpdir(), 'vendor-local-sfn-'));
try {
  const packed = execFileSync('npm', ['pack', `aws-local-stepfunctions@${VERSION}`, '--silent', '--pack-destination', work], { cwd: work, encoding: 'utf8' }).trim();
  execFileSync('tar', ['xzf', join(work, packed)], { cwd: work });
  const pkgDir = join(work, 'package');

  for (const file of ['build/main.node.cjs', 'build/main.node.esm.js', 'build/main.browser.esm.js']) {
    const source = readFileSync(join(pkgDir, file), 'utf8');
    if (source.split(WITH_RESOLVERS).length !== 2) throw new Error(`${file}: expected exactly one ${WITH_RESOLVERS}`);
    writeFileSync(join(pkgDir, file), source.replace(WITH_RESOLVERS, PLAIN_PROMISE));
  }
  const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  manifest.engines = { node: '>=20.0.0' };
  writeFileSync(join(pkgDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);

  // Deterministic archive: same input, same bytes (and so the same lockfile integrity).
  const tarball = join(work, 'vendored.tar');
  execFileSync('tar', ['--sort=name', '--mtime=1985-10-26 08:15:00Z', '--owner=0', '--group=0', '--numeric-owner',
    '-cf', tarball, 'package'], { cwd: work });
  writeFileSync(target, execFileSync('gzip', ['-n', '-9', '-c', tarball], { maxBuffer: 64 * 1024 * 1024 }));
  console.log(`wrote ${target}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
