import type { Template } from 'aws-cdk-lib/assertions';
import type { StateMachine as LocalStateMachine, StateMachineDefinition } from 'aws-local-stepfunctions';

import { StateMachine } from './local-step-functions';

export type { StateMachineDefinition };

/** One entry of the execution's event log (StateEntered, StateRetried, ExecutionFailed, ...). */
export type LocalEvent = ReturnType<LocalStateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

/** The pseudo parameters a definition may reference, with the values the placeholders use. */
export const PLACEHOLDER_ENV = {
  partition: 'aws',
  region: 'us-east-1',
  account: '123456789012',
  urlSuffix: 'amazonaws.com',
  stackName: 'Stack',
} as const;

export interface DefinitionOptions {
  /**
   * Logical ID of the AWS::StepFunctions::StateMachine resource.
   *
   * @default - the template's only state machine (throws if it has several)
   */
  readonly stateMachine?: string;

  /**
   * How a `Ref` or `Fn::GetAtt` in the definition is written out:
   * - 'placeholder': a plausible value of the right shape for the resource type (a Lambda ARN for
   *   a function's Arn, a topic ARN for a topic's Ref, ...), so the definition passes
   *   aws-local-stepfunctions' ARN validation and can run;
   * - 'symbolic': `${Ref:<id>}` / `${<id>.<attribute>}`, to assert which resource is referenced.
   *
   * @default 'placeholder'
   */
  readonly render?: 'placeholder' | 'symbolic';
}

/**
 * The ASL definition of a synthesized state machine: its DefinitionString (an Fn::Join of literals,
 * Refs and GetAtts) with every reference replaced, and DefinitionSubstitutions applied, parsed.
 */
export function definitionFromTemplate(template: Template, options: DefinitionOptions = {}): StateMachineDefinition {
  const resources: Record<string, any> = template.toJSON().Resources ?? {};
  const id = options.stateMachine ?? onlyStateMachine(resources);
  const properties = resources[id]?.Properties;
  if (!properties?.DefinitionString) throw new Error(`${id} is not a state machine with a DefinitionString`);
  const render = options.render ?? 'placeholder';
  const resolve = (value: unknown) => renderValue(value, resources, render);

  let text = resolve(properties.DefinitionString);
  for (const [name, value] of Object.entries<unknown>(properties.DefinitionSubstitutions ?? {})) {
    text = text.split(`\${${name}}`).join(resolve(value));
  }
  return JSON.parse(text);
}

/** The placeholder a `Ref` to `logicalId` renders as (see {@link DefinitionOptions.render}). */
export function placeholderRef(template: Template, logicalId: string): string {
  return renderValue({ Ref: logicalId }, template.toJSON().Resources ?? {}, 'placeholder');
}

/** The placeholder an `Fn::GetAtt` of `logicalId` renders as (see {@link DefinitionOptions.render}). */
export function placeholderAtt(template: Template, logicalId: string, attribute: string): string {
  return renderValue({ 'Fn::GetAtt': [logicalId, attribute] }, template.toJSON().Resources ?? {}, 'placeholder');
}

/** Stands in for a Task state: receives the state's effective input (after Parameters), returns its result or throws. */
export type TaskOverride = (input: any) => unknown;

export interface LocalRunOptions {
  /**
   * A local function per Task state name. Every Task state of the definition needs one: the run
   * never calls AWS.
   */
  readonly tasks: Record<string, TaskOverride>;

  /**
   * Milliseconds to pause per Wait state name.
   *
   * @default - 0 for every Wait state
   */
  readonly waits?: Record<string, number>;

  /**
   * Milliseconds to pause before each retry, per state name (a number, or one per retrier).
   *
   * @default - 0 for every state with a Retry field
   */
  readonly retryIntervals?: Record<string, number | number[]>;
}

export interface LocalRunResult {
  readonly status: 'SUCCEEDED' | 'FAILED';
  /** The execution's output, when it succeeded. */
  readonly output?: any;
  /** The error and cause the execution failed with (a Fail state's Error/Cause, or a task's error). */
  readonly error?: { readonly name: string; readonly cause: string };
  /** Names of the states entered, in order (a retried state is entered once per visit, not per attempt). */
  readonly visited: string[];
  /** Names of the states retried, once per retry, in order. */
  readonly retried: string[];
  /** Every event the execution logged. */
  readonly events: LocalEvent[];
}

/**
 * Runs `definition` with aws-local-stepfunctions (JSONPath only), Task states replaced by local
 * functions, and Wait and Retry pauses shortened. The Retry and Catch fields themselves are honoured:
 * an override that throws an error whose `name` matches an ErrorEquals entry is retried, up to
 * MaxAttempts (counted afresh each time the state is entered). With pauses overridden, IntervalSeconds,
 * BackoffRate, MaxDelaySeconds and JitterStrategy are not exercised: assert them on the definition.
 */
export async function runLocally(definition: StateMachineDefinition, input: unknown, options: LocalRunOptions): Promise<LocalRunResult> {
  const states = Object.entries(definition.States) as Array<[string, { Type: string; Retry?: unknown[] }]>;
  const missing = states.filter(([name, state]) => state.Type === 'Task' && !options.tasks[name]).map(([name]) => name);
  if (missing.length > 0) throw new Error(`no local override for Task state(s) ${missing.join(', ')}: the run would call AWS`);
  const unknown = Object.keys(options.tasks).filter((name) => !definition.States[name]);
  if (unknown.length > 0) throw new Error(`overrides name no state of the definition: ${unknown.join(', ')}`);

  const waits = Object.fromEntries(states.filter(([, state]) => state.Type === 'Wait').map(([name]) => [name, 0]));
  const retries = Object.fromEntries(states.filter(([, state]) => state.Retry).map(([name]) => [name, 0]));
  const machine = compiled(definition);
  const execution = machine.run(input as any, {
    overrides: {
      taskResourceLocalHandlers: Object.fromEntries(Object.entries(options.tasks)
        .map(([name, task]) => [name, async (taskInput: any) => (await task(taskInput)) as any])),
      waitTimeOverrides: { ...waits, ...options.waits },
      retryIntervalOverrides: { ...retries, ...options.retryIntervals },
    },
  });

  const events: LocalEvent[] = [];
  const logging = (async () => {
    for await (const event of execution.eventLogs) events.push(event);
  })();
  let output: unknown;
  let failed = false;
  try {
    output = await execution.result;
  } catch {
    failed = true;
  }
  await logging;

  const visited = events.flatMap((e) => (e.type === 'StateEntered' ? [e.state.name] : []));
  const retried = events.flatMap((e) => (e.type === 'StateRetried' ? [e.state.name] : []));
  if (!failed) return { status: 'SUCCEEDED', output, visited, retried, events };
  const failure = events.find((e) => e.type === 'ExecutionFailed') as { Error: string; Cause: unknown } | undefined;
  const timedOut = events.some((e) => e.type === 'ExecutionTimeout');
  const error = failure
    ? { name: failure.Error, cause: String(failure.Cause ?? '') }
    : { name: timedOut ? 'States.Timeout' : 'unknown', cause: timedOut ? 'the execution exceeded TimeoutSeconds' : '' };
  return {
    status: 'FAILED',
    error,
    visited,
    retried,
    events,
  };
}

/** The longest timer Node.js keeps: a longer setTimeout fires at once (TimeoutOverflowWarning). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Validating a definition (asl-validator) is the slow part of a run: once per definition object. */
const machines = new WeakMap<StateMachineDefinition, LocalStateMachine>();
function compiled(definition: StateMachineDefinition): LocalStateMachine {
  let machine = machines.get(definition);
  if (!machine) {
    // aws-local-stepfunctions enforces TimeoutSeconds with one setTimeout; beyond ~24.8 days that
    // timer would end the run at once. Waits take 0 ms here, so such a timeout is left out.
    const timeoutSeconds = (definition as { TimeoutSeconds?: number }).TimeoutSeconds;
    const runnable = timeoutSeconds !== undefined && timeoutSeconds * 1000 > MAX_TIMER_MS
      ? (({ TimeoutSeconds: _dropped, ...rest }) => rest)(definition as StateMachineDefinition & { TimeoutSeconds?: number }) as StateMachineDefinition
      : definition;
    machine = new StateMachine(runnable, { validationOptions: { checkArn: true, checkPaths: true } });
    machines.set(definition, machine);
  }
  return machine;
}

function onlyStateMachine(resources: Record<string, any>): string {
  const ids = Object.keys(resources).filter((id) => resources[id].Type === 'AWS::StepFunctions::StateMachine');
  if (ids.length !== 1) throw new Error(`expected one state machine in the template, found ${ids.length} (${ids.join(', ')}): name one`);
  return ids[0];
}

const PSEUDO_PARAMETERS: Record<string, string> = {
  'AWS::Partition': PLACEHOLDER_ENV.partition,
  'AWS::Region': PLACEHOLDER_ENV.region,
  'AWS::AccountId': PLACEHOLDER_ENV.account,
  'AWS::URLSuffix': PLACEHOLDER_ENV.urlSuffix,
  'AWS::StackName': PLACEHOLDER_ENV.stackName,
};

function renderValue(value: unknown, resources: Record<string, any>, render: 'placeholder' | 'symbolic'): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const node = value as Record<string, any>;
    if ('Fn::Join' in node) {
      const [delimiter, parts] = node['Fn::Join'] as [string, unknown[]];
      return parts.map((part) => renderValue(part, resources, render)).join(delimiter);
    }
    if ('Ref' in node) {
      const ref = node.Ref as string;
      if (PSEUDO_PARAMETERS[ref]) return PSEUDO_PARAMETERS[ref];
      return render === 'symbolic' ? `\${Ref:${ref}}` : placeholderForRef(ref, typeOf(resources, ref));
    }
    if ('Fn::GetAtt' in node) {
      const [id, attribute] = node['Fn::GetAtt'] as [string, string];
      return render === 'symbolic' ? `\${${id}.${attribute}}` : placeholderForAtt(id, attribute, typeOf(resources, id));
    }
  }
  throw new Error(`cannot render ${JSON.stringify(value)} in a state machine definition`);
}

function typeOf(resources: Record<string, any>, id: string): string {
  const type = resources[id]?.Type;
  if (!type) throw new Error(`the definition references ${id}, which is not a resource of the template`);
  return type;
}

const { partition, region, account } = PLACEHOLDER_ENV;

function arn(service: string, resource: string): string {
  return `arn:${partition}:${service}:${region}:${account}:${resource}`;
}

/** What `Ref` returns for the resource types a workflow typically references. */
function placeholderForRef(id: string, type: string): string {
  switch (type) {
    case 'AWS::SNS::Topic': return arn('sns', id);
    case 'AWS::StepFunctions::StateMachine': return arn('states', `stateMachine:${id}`);
    case 'AWS::SQS::Queue': return `https://sqs.${region}.amazonaws.com/${account}/${id}`;
    case 'AWS::KMS::Key': return '11111111-2222-3333-4444-555555555555';
    default: return id; // a name: functions, buckets, event buses, tables, ...
  }
}

/** What `Fn::GetAtt` returns for the attributes a workflow typically references. */
function placeholderForAtt(id: string, attribute: string, type: string): string {
  if (attribute === 'Name') return id;
  if (attribute !== 'Arn') throw new Error(`no placeholder for ${id}.${attribute} (${type})`);
  switch (type) {
    case 'AWS::Lambda::Function': return arn('lambda', `function:${id}`);
    case 'AWS::Events::EventBus': return arn('events', `event-bus/${id}`);
    case 'AWS::SQS::Queue': return arn('sqs', id);
    case 'AWS::S3::Bucket': return `arn:${partition}:s3:::${id}`;
    case 'AWS::DynamoDB::Table': return arn('dynamodb', `table/${id}`);
    case 'AWS::StepFunctions::StateMachine': return arn('states', `stateMachine:${id}`);
    default: return arn(type.split('::')[1].toLowerCase(), id);
  }
}
