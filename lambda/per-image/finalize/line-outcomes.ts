import type { LineError, LineResult } from '../../../lib/per-image/per-image-workflow-contract';

/** What is known of one line after every round so far. */
export type LineOutcome =
  /** The serialised detect-moderation-labels object. */
  | { kind: 'analyzed'; labels: string }
  | { kind: 'refused'; error: LineError }
  | { kind: 'pending'; error: LineError };

const RANK = { analyzed: 3, refused: 2, pending: 1 } as const;

/**
 * The best outcome of every line seen in the Map's results, across rounds and duplicate
 * deliveries: analysed beats refused beats pending, and a later pending replaces an earlier one
 * (its reason is fresher). Memory: one entry per valid line (at most the manifest's 10,000).
 */
export class LineOutcomes {
  private readonly outcomes = new Map<number, LineOutcome>();

  add(result: LineResult): void {
    let outcome: LineOutcome;
    if ('labels' in result) outcome = { kind: 'analyzed', labels: JSON.stringify(result.labels) };
    else if ('error' in result) outcome = { kind: 'refused', error: result.error };
    else outcome = { kind: 'pending', error: result.retry };
    this.put(result.line, outcome);
  }

  /** A line whose batch failed as a whole: pending, unless it is already known better. */
  addBatchFailure(line: number, error: LineError): void {
    this.put(line, { kind: 'pending', error });
  }

  get(line: number): LineOutcome | undefined {
    return this.outcomes.get(line);
  }

  get size(): number {
    return this.outcomes.size;
  }

  private put(line: number, outcome: LineOutcome): void {
    const known = this.outcomes.get(line);
    if (!known || RANK[outcome.kind] >= RANK[known.kind]) {
      this.outcomes.set(line, outcome);
    }
  }
}
