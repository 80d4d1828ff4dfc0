import { Token } from 'aws-cdk-lib';

/**
 * Collects every prop problem of one construct so they can be reported together.
 * Values that are unresolved tokens are never judged: they are only known at deploy time.
 */
export class PropErrors {
  private readonly messages: string[] = [];

  public add(message: string): void {
    this.messages.push(message);
  }

  public numberInRange(prop: string, value: number | undefined, min: number, max: number, integer = false): void {
    if (value === undefined || Token.isUnresolved(value)) return;
    if (Number.isNaN(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      this.add(`${prop} must be ${integer ? 'an integer' : 'a number'} between ${min} and ${max} (given ${value})`);
    }
  }

  public stringMatching(prop: string, value: string | undefined, pattern: RegExp, rule: string): void {
    if (value === undefined || Token.isUnresolved(value)) return;
    if (!pattern.test(value)) {
      this.add(`${prop} ${rule} (given '${value}')`);
    }
  }

  public stringLength(prop: string, value: string | undefined, min: number, max: number): void {
    if (value === undefined || Token.isUnresolved(value)) return;
    if (value.length < min || value.length > max) {
      this.add(`${prop} must be ${min} to ${max} characters long (given ${value.length} characters: '${abbreviate(value)}')`);
    }
  }

  /**
   * Judges a value with a contract's check (the same function the handler reads its settings
   * with), so synth and the handler cannot disagree.
   */
  public satisfies<T extends string | number>(prop: string, value: T | undefined, problemOf: (value: T) => string | undefined): void {
    if (value === undefined || Token.isUnresolved(value)) return;
    const problem = problemOf(value);
    if (problem !== undefined) {
      this.add(`${prop} ${problem} (given ${typeof value === 'string' ? `'${abbreviate(value)}'` : value})`);
    }
  }

  public throwIfAny(constructPath: string): void {
    if (this.messages.length > 0) {
      throw new Error(`Invalid props for ${constructPath}:\n- ${this.messages.join('\n- ')}`);
    }
  }
}

function abbreviate(value: string): string {
  return value.length > 40 ? `${value.slice(0, 37)}...` : value;
}
