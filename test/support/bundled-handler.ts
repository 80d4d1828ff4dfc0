import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

const root = join(__dirname, '..', '..');
const runner = join(__dirname, 'run-bundled-handler.mjs');

export interface BundledRun {
  readonly response: any;
  /** The handler's JSON log lines, parsed. */
  readonly logs: Array<Record<string, any>>;
  readonly exitCode: number | null;
  readonly stderr: string;
}

/**
 * Path of assets/<name>/index.mjs. A missing bundle, or one older than any source under lambda/
 * or lib/ (handlers import their contracts from lib/), fails the test instead of being rebuilt here:
 * the build replaces all of assets/, which other test files running in parallel are reading.
 * `npm test` builds first.
 */
export function handlerBundle(name: string): string {
  const bundle = join(root, 'assets', name, 'index.mjs');
  const sources = [join(root, 'lambda'), join(root, 'lib')];
  if (!existsSync(bundle) || statSync(bundle).mtimeMs < Math.max(...sources.map(newestSourceMtime))) {
    throw new Error(`${bundle} is missing or older than its sources: run 'npm run build:handlers' (npm test does it first)`);
  }
  return bundle;
}

/**
 * Runs the bundle in a child process with only the given environment (plus PATH), so no AWS
 * setting of the machine leaks in. Asynchronous on purpose: local servers answering the handler
 * run in this process.
 */
export function runBundledHandler(bundle: string, event: unknown, env: Record<string, string>): Promise<BundledRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--no-warnings', runner, bundle], {
      env: { PATH: process.env.PATH ?? '', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (exitCode) => {
      try {
        resolve({ response: JSON.parse(stdout), logs: jsonLines(stderr), exitCode, stderr });
      } catch {
        reject(new Error(`bundled handler printed no response (exit ${exitCode}):\n${stdout}\n${stderr}`));
      }
    });
    child.stdin.end(JSON.stringify(event));
  });
}

export interface ModuleGraph {
  /** Files loaded as soon as the bundle is imported: the entry and its static imports, recursively. */
  readonly statically: string[];
  /** Files reached only through import(), loaded when the code first asks for them. */
  readonly onDemand: string[];
}

/** Which files of an esbuild ESM bundle a cold start reads, and which it leaves for later. */
export function moduleGraph(entry: string): ModuleGraph {
  const imports = (file: string) => {
    const code = readFileSync(file, 'utf8');
    const resolve = (matches: IterableIterator<RegExpMatchArray>) => [...matches].map(([, path]) => join(dirname(file), path));
    return {
      statically: resolve(code.matchAll(/(?:^|[;}\s])(?:import|export)\s*(?:[^"';()]*?from\s*)?"(\.[^"]+)"/g)),
      dynamically: resolve(code.matchAll(/import\("(\.[^"]+)"\)/g)),
    };
  };
  // Everything a file loads with it: itself and its static imports, transitively.
  const closure = (roots: string[], into: Set<string>, dynamic: Set<string>) => {
    const visit = (file: string) => {
      if (into.has(file)) return;
      into.add(file);
      const found = imports(file);
      found.statically.forEach(visit);
      found.dynamically.forEach((path) => dynamic.add(path));
    };
    roots.forEach(visit);
  };
  const statically = new Set<string>();
  const dynamic = new Set<string>();
  closure([entry], statically, dynamic);
  // The chunks loaded by import(), with the shared chunks they pull in, less what the cold start loaded.
  const loadedLater = new Set<string>();
  closure([...dynamic], loadedLater, new Set());
  return { statically: [...statically], onDemand: [...loadedLater].filter((file) => !statically.has(file)) };
}

function jsonLines(text: string): Array<Record<string, any>> {
  return text.split('\n').flatMap((line) => {
    try {
      const parsed = JSON.parse(line);
      return typeof parsed === 'object' && parsed !== null ? [parsed] : [];
    } catch {
      return [];
    }
  });
}

function newestSourceMtime(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((newest, entry) => {
    const path = join(dir, entry.name);
    return Math.max(newest, entry.isDirectory() ? newestSourceMtime(path) : statSync(path).mtimeMs);
  }, 0);
}
