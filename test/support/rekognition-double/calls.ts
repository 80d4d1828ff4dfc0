import type { Operation } from './operations';

/** One call as the double answered it. */
export interface RecordedCall {
  readonly operation: Operation;
  readonly body: any;
  /** Simulated time of the call (epoch ms). */
  readonly at: number;
  /** The exception answered, if any (e.g. 'ThrottlingException'). */
  readonly error?: string;
  readonly response?: any;
}

export class CallLog {
  readonly all: RecordedCall[] = [];

  record(call: RecordedCall): void {
    this.all.push(call);
  }

  of(operation: Operation): RecordedCall[] {
    return this.all.filter((call) => call.operation === operation);
  }

  /** Calls answered with an exception (of this type, when given). */
  failed(operation?: Operation, type?: string): RecordedCall[] {
    return this.all.filter((call) => call.error !== undefined
      && (operation === undefined || call.operation === operation)
      && (type === undefined || call.error === type));
  }

  clear(): void {
    this.all.splice(0);
  }
}
