import { Console } from 'node:console';

/** One JSON object per line, so CloudWatch Logs Insights and metric filters can read every field. */
export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

const SEVERITY: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40 };

/**
 * Lambda's Node.js runtime rewrites lines of the global console (timestamp, request id and level
 * before the text), which would hide the JSON from metric filters. A console of our own writes
 * the bare lines to the same streams.
 */
export const logOutput = new Console({ stdout: process.stdout, stderr: process.stderr });

/** The part of Lambda's context the logger reads. */
export interface InvocationContext {
  readonly awsRequestId?: string;
  readonly functionName?: string;
}

/**
 * Writes one JSON line per entry with the keys set for the container (`persistentKeys`) and for
 * the current invocation (request id, cold start). Entries below the level in
 * AWS_LAMBDA_LOG_LEVEL (Lambda's advanced logging controls; default INFO) are dropped.
 */
export class Logger {
  private readonly minimum: number;
  private readonly persistent: Record<string, unknown> = {};
  private invocation: Record<string, unknown> = {};
  private invocations = 0;

  constructor(env: Readonly<Record<string, string | undefined>> = process.env) {
    const level = (env.AWS_LAMBDA_LOG_LEVEL ?? '').toUpperCase();
    // TRACE is Lambda's lowest level; FATAL its highest: map them onto the nearest of ours.
    this.minimum = level === 'TRACE' ? SEVERITY.DEBUG : level === 'FATAL' ? SEVERITY.ERROR : SEVERITY[level as LogLevel] ?? SEVERITY.INFO;
  }

  /** Keys written on every line for the rest of the container's life. */
  public appendPersistentKeys(keys: Record<string, unknown>): void {
    Object.assign(this.persistent, keys);
  }

  /** Starts an invocation: its request id and whether it is the container's first. */
  public startInvocation(context?: InvocationContext): void {
    this.invocations += 1;
    this.invocation = {
      ...(context?.awsRequestId !== undefined && { requestId: context.awsRequestId }),
      coldStart: this.invocations === 1,
    };
  }

  public isEnabled(level: LogLevel): boolean {
    return SEVERITY[level] >= this.minimum;
  }

  public log(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
    if (!this.isEnabled(level)) return;
    const line = JSON.stringify({ level, message, ...this.persistent, ...this.invocation, ...fields, time: new Date().toISOString() });
    if (level === 'ERROR' || level === 'WARN') {
      logOutput.error(line);
    } else {
      logOutput.log(line);
    }
  }

  public debug(message: string, fields?: Record<string, unknown>): void {
    this.log('DEBUG', message, fields);
  }

  public info(message: string, fields?: Record<string, unknown>): void {
    this.log('INFO', message, fields);
  }

  public warn(message: string, fields?: Record<string, unknown>): void {
    this.log('WARN', message, fields);
  }

  public error(message: string, fields?: Record<string, unknown>): void {
    this.log('ERROR', message, fields);
  }
}

/** The container's logger: each handler starts an invocation on it and adds its persistent keys. */
export const logger = new Logger();

export function log(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
  logger.log(level, message, fields);
}
