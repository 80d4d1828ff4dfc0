import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

// dirname(__filename): tsx's ESM API (used by bench/) gives a wrong __dirname.
const runner = join(dirname(__filename), 'warm-handler-process.mjs');

/**
 * A bundled handler kept loaded in one child process, as a warm Lambda container keeps it:
 * module state (clients, cached configuration) survives between invocations. Invocations are
 * answered in order, one at a time.
 */
export class WarmHandler {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: Array<{ resolve: (reply: any) => void; reject: (error: Error) => void }> = [];
  private chain: Promise<unknown> = Promise.resolve();

  /** `exportName`: the bundle's export that Lambda would call (default `handler`). */
  constructor(bundle: string, env: Record<string, string>, exportName = 'handler') {
    this.child = spawn(process.execPath, ['--no-warnings', runner, bundle, exportName], {
      env: { PATH: process.env.PATH ?? '', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stderr.resume();
    createInterface({ input: this.child.stdout }).on('line', (line) => this.waiting.shift()?.resolve(JSON.parse(line)));
    this.child.on('close', (code) => {
      for (const waiter of this.waiting.splice(0)) waiter.reject(new Error(`warm handler ${bundle} exited (${code}) before answering`));
    });
  }

  invoke(event: unknown): Promise<any> {
    const reply = this.chain.then(() => new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.child.stdin.write(`${JSON.stringify(event)}\n`);
    }));
    this.chain = reply;
    return reply;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.child.once('close', () => resolve());
      this.child.stdin.end();
    });
  }
}
