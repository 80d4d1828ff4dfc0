// Bundles every handler (lambda/<name>/index.ts) ahead of time into assets/<name>/,
// so consumers of the package load ready code with Code.fromAsset and never run esbuild.
// ESM with module-first main fields is the smallest and fastest-loading shape of the SDK v3;
// code splitting keeps clients used only on retry or error paths out of the cold start.
import { build } from 'esbuild';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const handlersDir = join(root, 'lambda');
const assetsDir = join(root, 'assets');

export function handlerNames() {
  return readdirSync(handlersDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(handlersDir, entry.name, 'index.ts')))
    .map((entry) => entry.name)
    .sort();
}

export function esbuildOptions(entryPoint, outdir) {
  return {
    entryPoints: { index: entryPoint },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    mainFields: ['module', 'main'],
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    minify: true,
    treeShaking: true,
    legalComments: 'none',
    // Paths (and so chunk names) must not depend on where node_modules really lives: a clean
    // build in a staging copy with linked node_modules must produce the same files.
    preserveSymlinks: true,
    logLevel: 'warning',
  };
}

async function main() {
  rmSync(assetsDir, { recursive: true, force: true });
  for (const name of handlerNames()) {
    await build(esbuildOptions(join(handlersDir, name, 'index.ts'), join(assetsDir, name)));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await main();
}
