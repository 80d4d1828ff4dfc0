/**
 * The environment half of every construct <-> handler contract: typed readers that a handler
 * uses to read its settings back, each failing with a ConfigError that names the variable and
 * the value given, and one writer the construct uses to turn settings into the environment.
 *
 * Contract modules import nothing from aws-cdk-lib (handlers bundle them), so a value that may
 * be a CDK token is turned into a string by the `stringify` the construct passes in.
 */

/** Thrown once per container when a function is deployed with unusable settings. */
export class ConfigError extends Error {
  constructor(public readonly variable: string, problem: string) {
    super(`Environment variable ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

/** Turns a setting into its variable's text; the construct passes a token-aware one. */
export type Stringify = (value: string | number | boolean) => string;

/** A setting's value as the writer takes it: absent values are left out of the environment. */
export type EnvironmentValue = string | number | boolean | readonly string[] | undefined;

/**
 * The variables for `values` (keyed by variable name), leaving out undefined ones; lists are
 * comma-separated.
 */
export function writeEnvironment(values: Record<string, EnvironmentValue>, stringify: Stringify = String): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue;
    environment[name] = isList(value) ? value.map((item) => stringify(item)).join(',') : stringify(value);
  }
  return environment;
}

/** A check returning what is wrong with a value, or undefined when it is fine. */
export type Check<T> = (value: T) => string | undefined;

export interface NumberRange {
  readonly min?: number;
  readonly max?: number;
  readonly integer?: boolean;
}

/** Reads one handler's variables from `env`; '' counts as absent. */
export class EnvironmentReader {
  constructor(private readonly env: Readonly<Record<string, string | undefined>>) {}

  /** The raw value, or undefined when absent or empty. */
  public raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value === '' ? undefined : value;
  }

  public requiredString(name: string, check?: Check<string>): string {
    const value = this.raw(name);
    if (value === undefined) throw new ConfigError(name, 'is required');
    return this.checked(name, value, check);
  }

  public optionalString(name: string, check?: Check<string>): string | undefined {
    const value = this.raw(name);
    return value === undefined ? undefined : this.checked(name, value, check);
  }

  /** A string with a default for absence; an empty default is allowed (a prefix at the root). */
  public string(name: string, defaultValue: string, check?: Check<string>): string {
    return this.checked(name, this.env[name] ?? defaultValue, check);
  }

  public optionalNumber(name: string, range: NumberRange = {}): number | undefined {
    const value = this.raw(name);
    return value === undefined ? undefined : parseNumber(name, value, range);
  }

  public number(name: string, defaultValue: number, range: NumberRange = {}): number {
    return this.optionalNumber(name, range) ?? defaultValue;
  }

  public requiredNumber(name: string, range: NumberRange = {}): number {
    const value = this.optionalNumber(name, range);
    if (value === undefined) throw new ConfigError(name, 'is required');
    return value;
  }

  public optionalBoolean(name: string): boolean | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (value !== 'true' && value !== 'false') throw new ConfigError(name, `must be 'true' or 'false' (given ${JSON.stringify(value)})`);
    return value === 'true';
  }

  public boolean(name: string, defaultValue: boolean): boolean {
    return this.optionalBoolean(name) ?? defaultValue;
  }

  /** One of `values`. */
  public oneOf<T extends string>(name: string, values: readonly T[], defaultValue: T): T {
    const value = this.raw(name) ?? defaultValue;
    if (!values.includes(value as T)) {
      throw new ConfigError(name, `must be ${values.map((v) => `'${v}'`).join(', ')} (given ${JSON.stringify(value)})`);
    }
    return value as T;
  }

  /** Comma-separated items (blanks around items and empty items ignored); none: undefined. */
  public optionalList(name: string, check?: Check<string>): string[] | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    const items = value.split(',').map((item) => item.trim()).filter((item) => item !== '');
    for (const item of items) {
      const problem = check?.(item);
      if (problem !== undefined) throw new ConfigError(name, `${problem} (given ${JSON.stringify(item)} in ${JSON.stringify(value)})`);
    }
    return items.length > 0 ? items : undefined;
  }

  private checked(name: string, value: string, check: Check<string> | undefined): string {
    const problem = check?.(value);
    if (problem !== undefined) throw new ConfigError(name, `${problem} (given ${JSON.stringify(value)})`);
    return value;
  }
}

/** What is wrong with `value` as a number in `range`, or undefined. Shared by synth checks and readers. */
export function numberProblem(value: number, range: NumberRange): string | undefined {
  const kind = range.integer ? 'a whole number' : 'a number';
  const bounds = range.min !== undefined && range.max !== undefined ? ` from ${range.min} to ${range.max}`
    : range.min !== undefined ? ` of at least ${range.min}`
      : range.max !== undefined ? ` of at most ${range.max}` : '';
  const ok = Number.isFinite(value) && (!range.integer || Number.isInteger(value))
    && (range.min === undefined || value >= range.min) && (range.max === undefined || value <= range.max);
  return ok ? undefined : `must be ${kind}${bounds}`;
}

function parseNumber(name: string, text: string, range: NumberRange): number {
  const value = text.trim() === '' ? NaN : Number(text);
  const problem = numberProblem(value, range);
  if (problem !== undefined) throw new ConfigError(name, `${problem} (given ${JSON.stringify(text)})`);
  return value;
}

function isList(value: EnvironmentValue): value is readonly string[] {
  return Array.isArray(value);
}
