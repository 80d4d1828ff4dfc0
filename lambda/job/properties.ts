import { HandlerErrorName } from '../../lib/common/contract/error-names';
import { ModerationJobEngine, ModerationJobProperty } from '../../lib/job/moderation-job-contract';
import {
  DEFAULT_JOB_NAME_PREFIX,
  jobNamePrefixProblem,
  jobNameProblem,
  minConfidenceProblem,
  outputPrefixProblem,
  stateMachineArnProblem,
  withSlash,
} from '../../lib/trigger/trigger-contract';
import { HandlerError } from '../common/errors';

export type JobEngine = typeof ModerationJobEngine[keyof typeof ModerationJobEngine];

/** The resource properties after parsing: typed values, optional ones undefined when absent. */
export interface JobProperties {
  readonly manifestBucket: string;
  readonly manifestKey: string;
  readonly manifestVersion?: string;
  readonly outputBucket: string;
  readonly outputPrefix: string;
  readonly kmsKeyId?: string;
  readonly minConfidence?: number;
  readonly projectVersion?: string;
  readonly jobName?: string;
  readonly jobNamePrefix: string;
  readonly waitForCompletion: boolean;
  /** Absent: 'bulk' (as the property is left out for bulk). */
  readonly engine?: Exclude<JobEngine, 'bulk'>;
  /** Set for engines 'per-image' and 'auto'. */
  readonly perImageStateMachineArn?: string;
}

const ENGINES: ReadonlySet<string> = new Set<string>(Object.values(ModerationJobEngine));


/** Properties CloudFormation adds itself; they describe the invocation, not the job. */
const CLOUDFORMATION_PROPERTIES: readonly string[] = ['ServiceToken', 'ServiceTimeout'];

const KNOWN_PROPERTIES: ReadonlySet<string> = new Set<string>([
  ...Object.values(ModerationJobProperty),
  ...CLOUDFORMATION_PROPERTIES,
]);

/** A plain decimal, as JavaScript writes numbers (so '1e-7' too); no hex, NaN or Infinity. */
const DECIMAL = /^(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;

/** One or more resource properties are missing or malformed. */
export class InvalidPropertiesError extends HandlerError {
  public readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(HandlerErrorName.INVALID_INPUT, `Invalid ModerationJob properties: ${problems.join('; ')}`);
    this.problems = problems;
  }
}

/**
 * Parses and validates the resource properties (all strings, as CloudFormation passes them).
 * Every problem is collected and reported at once, naming the property and the value given.
 * Formats Rekognition defines for single fields (bucket names, ARNs, key ids) are checked
 * again by buildStartRequest.
 */
export function parseProperties(raw: Readonly<Record<string, unknown>> | undefined): JobProperties {
  const props = raw ?? {};
  const problems: string[] = [];

  const unknown = Object.keys(props).filter((name) => !KNOWN_PROPERTIES.has(name)).sort();
  if (unknown.length > 0) {
    problems.push(`unknown ${unknown.length === 1 ? 'property' : 'properties'} ${unknown.join(', ')} `
      + `(allowed: ${Object.values(ModerationJobProperty).join(', ')})`);
  }

  const stringProperty = (name: string): string | undefined => {
    const value = props[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') {
      problems.push(`${name} must be a string (given ${describe(value)})`);
      return undefined;
    }
    return value;
  };
  const required = (name: string, allowEmpty = false): string => {
    if (props[name] === undefined || props[name] === null) {
      problems.push(`${name} is required`);
      return '';
    }
    const value = stringProperty(name);
    if (value === undefined) return '';
    if (!allowEmpty && value.trim() === '') {
      problems.push(`${name} must not be empty (given ${describe(value)})`);
    }
    return value;
  };
  /** '' counts as absent for optional properties. */
  const optional = (name: string): string | undefined => {
    const value = stringProperty(name);
    return value === '' ? undefined : value;
  };

  /** The contract's checks, the same the construct runs at synth. */
  const checkProperty = (name: string, value: string, problemOf: (value: string) => string | undefined): void => {
    const problem = problemOf(value);
    if (problem !== undefined) problems.push(`${name} ${problem} (given ${describe(value)})`);
  };

  const manifestBucket = required(ModerationJobProperty.MANIFEST_BUCKET);
  const manifestKey = required(ModerationJobProperty.MANIFEST_KEY);
  const manifestVersion = optional(ModerationJobProperty.MANIFEST_VERSION);
  const outputBucket = required(ModerationJobProperty.OUTPUT_BUCKET);
  const outputPrefixText = required(ModerationJobProperty.OUTPUT_PREFIX, true);
  checkProperty(ModerationJobProperty.OUTPUT_PREFIX, outputPrefixText, outputPrefixProblem);
  // Like the pipeline's trigger: the job's folder sits below the prefix, never beside it.
  const outputPrefix = withSlash(outputPrefixText);
  const kmsKeyId = optional(ModerationJobProperty.KMS_KEY_ID);
  const projectVersion = optional(ModerationJobProperty.PROJECT_VERSION);

  const minConfidenceText = optional(ModerationJobProperty.MIN_CONFIDENCE);
  let minConfidence: number | undefined;
  if (minConfidenceText !== undefined) {
    const trimmed = minConfidenceText.trim();
    const value = DECIMAL.test(trimmed) ? Number(trimmed) : Number.NaN;
    const problem = minConfidenceProblem(value);
    if (problem !== undefined) {
      problems.push(`${ModerationJobProperty.MIN_CONFIDENCE} ${problem} (given ${describe(minConfidenceText)})`);
    } else {
      minConfidence = value;
    }
  }

  const jobName = optional(ModerationJobProperty.JOB_NAME);
  if (jobName !== undefined) checkProperty(ModerationJobProperty.JOB_NAME, jobName, jobNameProblem);

  const jobNamePrefix = stringProperty(ModerationJobProperty.JOB_NAME_PREFIX) ?? DEFAULT_JOB_NAME_PREFIX;
  checkProperty(ModerationJobProperty.JOB_NAME_PREFIX, jobNamePrefix, jobNamePrefixProblem);

  const waitText = required(ModerationJobProperty.WAIT_FOR_COMPLETION);
  if (waitText !== '' && waitText !== 'true' && waitText !== 'false') {
    problems.push(`${ModerationJobProperty.WAIT_FOR_COMPLETION} must be 'true' or 'false' (given ${describe(waitText)})`);
  }

  // '' counts as absent, like the other optional properties: bulk.
  const engineText = optional(ModerationJobProperty.ENGINE) ?? ModerationJobEngine.BULK;
  if (!ENGINES.has(engineText)) {
    problems.push(`${ModerationJobProperty.ENGINE} must be 'bulk', 'per-image' or 'auto' (given ${describe(engineText)})`);
  }
  const engine = engineText as JobEngine;
  const perImageStateMachineArn = optional(ModerationJobProperty.PER_IMAGE_STATE_MACHINE_ARN);
  if (ENGINES.has(engine) && engine !== ModerationJobEngine.BULK
    && (perImageStateMachineArn === undefined || stateMachineArnProblem(perImageStateMachineArn) !== undefined)) {
    problems.push(`${ModerationJobProperty.PER_IMAGE_STATE_MACHINE_ARN} must be a state machine ARN with ${ModerationJobProperty.ENGINE} '${engine}' `
      + `(given ${describe(perImageStateMachineArn ?? '')})`);
  }
  if (engine === ModerationJobEngine.BULK && perImageStateMachineArn !== undefined) {
    problems.push(`${ModerationJobProperty.PER_IMAGE_STATE_MACHINE_ARN} only applies with ${ModerationJobProperty.ENGINE} 'per-image' or 'auto' (given with 'bulk')`);
  }

  if (problems.length > 0) {
    throw new InvalidPropertiesError(problems);
  }
  return {
    manifestBucket,
    manifestKey,
    manifestVersion,
    outputBucket,
    outputPrefix,
    kmsKeyId,
    minConfidence,
    projectVersion,
    jobName,
    jobNamePrefix,
    waitForCompletion: waitText === 'true',
    ...(engine !== ModerationJobEngine.BULK && { engine }),
    ...(perImageStateMachineArn !== undefined && { perImageStateMachineArn }),
  };
}

/**
 * The properties that describe the job (everything but ServiceToken and ServiceTimeout) as
 * JSON with keys sorted at every level, so equal properties always give the same text.
 */
export function canonicalProperties(raw: Readonly<Record<string, unknown>> | undefined): string {
  const entries = Object.entries(raw ?? {}).filter(([name]) => !CLOUDFORMATION_PROPERTIES.includes(name));
  return canonicalJson(Object.fromEntries(entries));
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map((item) => canonicalJson(item === undefined ? null : item)).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const members = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function describe(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : `${typeof value} ${JSON.stringify(value)}`;
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
