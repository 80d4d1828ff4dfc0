import { Token } from 'aws-cdk-lib';
import type { Stringify } from './contract/environment';

/** Writes settings into a function's environment: a number token stays a token, as text. */
export const tokenAwareString: Stringify = (value) =>
  typeof value === 'number' && Token.isUnresolved(value) ? Token.asString(value) : String(value);
