import { AwsErrorReply } from '../json-protocol-double';
import { exceptionStatus, isOperation, Operation, OPERATION_EXCEPTIONS } from './operations';

/** An exception the double answers with instead of serving the call. */
export interface Fault {
  /** One of the operation's documented exceptions, e.g. 'ThrottlingException'. */
  readonly type: string;
  readonly message?: string;
}

/** What a predicate sees of a call. */
export interface FaultContext {
  readonly operation: Operation;
  readonly body: any;
  /** 1 for the first call of this operation since the double started. */
  readonly callNumber: number;
}

export type FaultPredicate = (call: FaultContext) => Fault | string | undefined;

/**
 * Scripted exceptions: a queue per operation (each call takes the next one) and predicates
 * (consulted after the queue; the first that answers wins). Only exceptions the API documents for
 * the operation are accepted, so a test cannot script an answer AWS never gives.
 */
export class FaultScript {
  private readonly queues = new Map<Operation, Fault[]>();
  private readonly predicates: FaultPredicate[] = [];

  /** The next calls of `operation` answer with these, in order ('ThrottlingException' or {type, message}). */
  enqueue(operation: Operation, ...faults: Array<Fault | string>): this {
    const queue = this.queues.get(operation) ?? [];
    queue.push(...faults.map((fault) => checked(operation, fault)));
    this.queues.set(operation, queue);
    return this;
  }

  /** The next `count` calls of `operation` answer with `fault`. */
  repeat(operation: Operation, fault: Fault | string, count: number): this {
    return this.enqueue(operation, ...Array.from({ length: count }, () => fault));
  }

  /** Consulted for every call not answered by a queue; returns a function that removes it. */
  when(predicate: FaultPredicate): () => void {
    this.predicates.push(predicate);
    return () => {
      const index = this.predicates.indexOf(predicate);
      if (index >= 0) this.predicates.splice(index, 1);
    };
  }

  /** Queued faults not yet used, per operation. */
  pending(operation: Operation): number {
    return this.queues.get(operation)?.length ?? 0;
  }

  clear(): void {
    this.queues.clear();
    this.predicates.splice(0);
  }

  /** The reply for this call, if a fault is scripted for it. */
  take(call: FaultContext): AwsErrorReply | undefined {
    const queued = this.queues.get(call.operation)?.shift();
    if (queued) return reply(queued);
    for (const predicate of this.predicates) {
      const fault = predicate(call);
      if (fault !== undefined) return reply(checked(call.operation, fault));
    }
    return undefined;
  }
}

function checked(operation: Operation, fault: Fault | string): Fault {
  const normalised = typeof fault === 'string' ? { type: fault } : fault;
  if (!isOperation(operation)) throw new Error(`FaultScript: unknown operation ${JSON.stringify(operation)}`);
  if (!OPERATION_EXCEPTIONS[operation].includes(normalised.type)) {
    throw new Error(`FaultScript: ${operation} never answers ${normalised.type} (documented: ${OPERATION_EXCEPTIONS[operation].join(', ')})`);
  }
  return normalised;
}

function reply(fault: Fault): AwsErrorReply {
  return new AwsErrorReply(fault.type, fault.message ?? `${fault.type} scripted in the Rekognition double`, exceptionStatus(fault.type));
}
