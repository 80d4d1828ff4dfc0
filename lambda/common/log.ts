import { Console } from 'node:console';

/** One JSON object per line, so CloudWatch Logs Insights and metric filters can read every field. */
export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/**
 * Lambda's Node.js runtime rewrites lines of the global console (timestamp, request id and level
 * before the text), which would hide the JSON from metric filters. A console of our own writes
 * the bare lines to the same streams.
 */
export const logOutput = new Console({ stdout: process.stdout, stderr: process.stderr });

export function log(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ level, message, ...fields, time: new Date().toISOString() });
  if (level === 'ERROR' || level === 'WARN') {
    logOutput.error(line);
  } else {
    logOutput.log(line);
  }
}
