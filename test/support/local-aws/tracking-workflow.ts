import type { StateMachineDefinition } from 'aws-local-stepfunctions';

import { StateMachine } from '../local-step-functions';

export interface TrackingRunOptions {
  /** Runs the CheckJob task (the tracker Lambda) with the state as its payload. */
  readonly checkJob: (payload: any) => Promise<unknown>;
  /** Receives the PutEvents request the PublishCompletion task would send; returns its response. */
  readonly putEvents: (request: { Entries: any[] }) => unknown;
  /** Called with the Wait state's seconds each time the workflow waits (the wait itself is instant). */
  readonly onWait: (seconds: number) => void;
}

export interface TrackingRun {
  readonly output: any;
  /** Number of CheckJob invocations, retries included. */
  readonly checks: number;
  /** Simulated seconds spent in Wait states. */
  readonly waitedSeconds: number;
}

/**
 * Runs the synthesized tracking definition locally. Task states named in the definition are run
 * by the given functions; Wait and Retry pauses are instant, the simulated time they stand for is
 * reported to `onWait` (waits) so the Rekognition double's clock can move by the same amount.
 */
export async function runTrackingWorkflow(definition: StateMachineDefinition, input: unknown, options: TrackingRunOptions): Promise<TrackingRun> {
  const waits = Object.entries(definition.States).filter(([, state]) => state.Type === 'Wait');
  const tasks = Object.entries(definition.States).filter(([, state]) => state.Type === 'Task');
  const task = (resource: RegExp) => {
    const found = tasks.filter(([, state]) => resource.test((state as { Resource: string }).Resource));
    if (found.length !== 1) throw new Error(`expected one Task with a Resource matching ${resource}, found ${found.length}`);
    return found[0][0];
  };
  const checkJobState = task(/^arn:aws:lambda:/);
  const putEventsState = task(/:states:::events:putEvents$/);
  // The wait happens on the way back to CheckJob: the clock moves before the next check.
  const waitBeforeCheck = waits.find(([, state]) => (state as { Next?: string }).Next === checkJobState);
  const waitSeconds = waitBeforeCheck ? Number((waitBeforeCheck[1] as { Seconds?: number }).Seconds) : 0;

  let checks = 0;
  let waitedSeconds = 0;
  let lastCheckFailed = false;
  const machine = new StateMachine(withLambdaTaskTimeouts(definition), { validationOptions: { checkArn: true, checkPaths: true } });
  const execution = machine.run(input as any, {
    overrides: {
      taskResourceLocalHandlers: {
        [checkJobState]: async (payload: any) => {
          // Back in CheckJob after a check that succeeded: the workflow came through the Wait.
          // After one that failed it is a Retry, whose pause is not simulated.
          if (checks > 0 && !lastCheckFailed && waitBeforeCheck) {
            waitedSeconds += waitSeconds;
            options.onWait(waitSeconds);
          }
          checks += 1;
          try {
            const result = await options.checkJob(payload);
            lastCheckFailed = false;
            return result as any;
          } catch (error) {
            lastCheckFailed = true;
            throw error;
          }
        },
        [putEventsState]: async (request: any) => (await options.putEvents(request)) as any,
      },
      waitTimeOverrides: Object.fromEntries(waits.map(([name]) => [name, 0])),
      retryIntervalOverrides: Object.fromEntries(tasks.map(([name]) => [name, 0])),
    },
  });
  const output = await execution.result;
  return { output, checks, waitedSeconds };
}

/**
 * Step Functions waits for a Task without TimeoutSeconds as long as the function runs (at most
 * Lambda's 15 minutes); aws-local-stepfunctions gives such a Task 60 s. A check of a 10,000-image
 * job on a busy machine takes longer, so such Tasks get Lambda's limit here.
 */
function withLambdaTaskTimeouts(definition: StateMachineDefinition): StateMachineDefinition {
  const states = Object.fromEntries(Object.entries(definition.States).map(([name, state]) => [name,
    state.Type === 'Task' && (state as { TimeoutSeconds?: number }).TimeoutSeconds === undefined && (state as { TimeoutSecondsPath?: string }).TimeoutSecondsPath === undefined
      ? { ...state, TimeoutSeconds: LAMBDA_MAX_SECONDS }
      : state]));
  return { ...definition, States: states } as StateMachineDefinition;
}

const LAMBDA_MAX_SECONDS = 900;
