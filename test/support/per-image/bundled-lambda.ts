import { handlerBundle, runBundledHandler } from '../bundled-handler';

/** A shipped handler bundle run in a child process per invocation, as a function; a thrown error keeps its name (the Error of a Catch). */
export function bundledLambda(asset: string, env: Record<string, string>): (event: unknown) => Promise<any> {
  const bundle = handlerBundle(asset);
  return async (event) => {
    const run = await runBundledHandler(bundle, event, env);
    if (run.exitCode !== 0) {
      const error = run.response?.error ?? { name: 'Lambda.Unknown', message: run.stderr.slice(-2000) };
      throw Object.assign(new Error(JSON.stringify({ errorType: error.name, errorMessage: error.message })), { name: error.name ?? 'Error' });
    }
    return run.response;
  };
}
