import { logOutput } from '../../lambda/common/log';

/** Silences console output during a test and hands back the JSON log lines written meanwhile. */
export interface CapturedLogs {
  /** Every JSON log line so far, parsed. */
  lines(): Array<Record<string, any>>;
  /** The lines whose `outcome` field equals the given one. */
  withOutcome(outcome: string): Array<Record<string, any>>;
  restore(): void;
}

export function captureLogs(): CapturedLogs {
  const written: string[] = [];
  const keep = (...args: unknown[]) => void written.push(args.map(String).join(' '));
  const spies = [console, logOutput].flatMap((target) => [
    jest.spyOn(target, 'log').mockImplementation(keep),
    jest.spyOn(target, 'error').mockImplementation(keep),
  ]);
  const lines = () =>
    written.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, any>];
      } catch {
        return [];
      }
    });
  return {
    lines,
    withOutcome: (outcome) => lines().filter((line) => line.outcome === outcome),
    restore: () => spies.forEach((spy) => spy.mockRestore()),
  };
}
