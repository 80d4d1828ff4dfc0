import * as path from 'path';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/**
 * Handlers are bundled ahead of time (scripts/build-handlers.mjs) into <package>/assets/<name>.
 * This file sits one folder below lib/ in the sources and one below dist/ in the package, so the
 * same relative path serves both.
 */
const ASSETS_DIR = path.join(__dirname, '..', '..', 'assets');

/** The Node.js runtime every handler is built and tested for; pinned, not NODEJS_LATEST. */
export const HANDLER_RUNTIME = lambda.Runtime.NODEJS_24_X;

export function handlerCode(name: string): lambda.Code {
  return lambda.Code.fromAsset(path.join(ASSETS_DIR, name));
}
