// aws-local-stepfunctions 3 calls Promise.withResolvers (Node >= 22); this is its Node 20 stand-in.
const promiseWithResolvers = Promise as unknown as { withResolvers?: () => unknown };
promiseWithResolvers.withResolvers ??= function withResolvers<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
};
// Loaded after the polyfill on purpose.
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const { StateMachine } = require('aws-local-stepfunctions') as typeof import('aws-local-stepfunctions');
