// Bundles every handler (lambda/<stage>[/<step>]/index.ts) ahead of time into assets/<stage>[-<step>]/,
// so consumers of the package load ready code with Code.fromAsset and never run esbuild.
// ESM with module-first main fields is the smallest and fastest-loading shape of the SDK v3;
// code splitting keeps clients used only on retry or error paths out of the cold start.
import { build } from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const handlersDir = join(root, 'lambda');
const assetsDir = join(root, 'assets');

/** Folders under lambda/ that hold an index.ts, as relative paths ('trigger', 'per-image/batch'). */
export function handlerDirs() {
  return readdirSync(handlersDir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name === 'index.ts')
    .map((entry) => relative(handlersDir, entry.parentPath ?? entry.path).split(sep).join('/'))
    .sort();
}

/** The asset name of a handler folder: 'per-image/batch' -> 'per-image-batch'. */
export function assetName(handlerDir) {
  return handlerDir.replaceAll('/', '-');
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
  for (const dir of handlerDirs()) {
    await build(esbuildOptions(join(handlersDir, dir, 'index.ts'), join(assetsDir, assetName(dir))));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await main();
}
