import type { S3Client } from '@aws-sdk/client-s3';
import { emulateDistributedMap, MapRun } from './distributed-map-emulator';
import { StateMachine } from '../local-step-functions';

/**
 * Runs the synthesized per-image definition locally: aws-local-stepfunctions executes every state
 * of the parent (Choice, Pass, Wait, Catch, Retry, the JSONPath payloads and result paths) and of
 * the Map's ItemProcessor (per batch); the Distributed Map state itself, which it does not
 * implement, is replaced by a Task whose handler is the emulator (same ResultPath, Catch, Next).
 * Waits and retry pauses are instant.
 */
export interface PerImageHandlers {
  /** Task states that invoke Lambda functions, by state name (the ItemProcessor's included). */
  readonly lambdas: Record<string, (payload: any) => Promise<unknown>>;
  readonly putEvents: (request: { Entries: any[] }) => unknown;
  /** Lets a test fail a child execution (e.g. a batch function that timed out) instead of running it. */
  readonly failChild?: (round: number, index: number) => Error | undefined;
}

export interface PerImageRun {
  readonly output: any;
  readonly mapRuns: MapRun[];
}

const LOCAL_MAP_RESOURCE = 'arn:aws:lambda:us-east-1:111122223333:function:LocalDistributedMap';

export async function runPerImageWorkflow(definition: any, input: any, handlers: PerImageHandlers, s3: S3Client, executionName = input.token): Promise<PerImageRun> {
  // Not structuredClone: its objects come from another realm than jest's, and the library checks plain objects by prototype.
  const parent = JSON.parse(JSON.stringify(definition));
  const [mapName, mapState] = Object.entries<any>(parent.States).find(([, state]) => state.Type === 'Map' && state.ItemProcessor?.ProcessorConfig?.Mode === 'DISTRIBUTED')!;
  parent.States[mapName] = {
    Type: 'Task',
    Resource: LOCAL_MAP_RESOURCE,
    ...(mapState.ResultPath !== undefined && { ResultPath: mapState.ResultPath }),
    ...(mapState.Catch && { Catch: mapState.Catch }),
    ...(mapState.Next ? { Next: mapState.Next } : { End: true }),
  };
  const child = { StartAt: mapState.ItemProcessor.StartAt, States: mapState.ItemProcessor.States };
  const childMachine = new StateMachine(child, { validationOptions: { checkArn: true, checkPaths: true } });
  const childTasks = Object.keys(child.States).filter((name) => child.States[name].Type === 'Task');

  const executionArn = `arn:aws:states:us-east-1:111122223333:execution:PerImage:${executionName}`;
  const context = {
    Execution: { Id: executionArn, Name: executionName, StartTime: new Date().toISOString(), Input: input },
    State: { EnteredTime: new Date().toISOString(), Name: 'local' },
  };
  const mapRuns: MapRun[] = [];
  const lambda = (name: string) => {
    const fn = handlers.lambdas[name];
    if (!fn) throw new Error(`no local handler for the Task state ${name}`);
    return fn;
  };

  const taskHandlers: Record<string, (payload: any) => Promise<any>> = {};
  for (const [name, state] of Object.entries<any>(parent.States)) {
    if (state.Type !== 'Task') continue;
    if (name === mapName) {
      taskHandlers[name] = async (stateInput) => {
        const round = mapRuns.length + 1;
        const run = await emulateDistributedMap(mapState, stateInput, {
          s3,
          mapRunId: `map-run-${round}`,
          runChild: async (batch, index) => {
            const failure = handlers.failChild?.(round, index);
            if (failure) throw failure;
            const execution = childMachine.run(batch as any, {
              overrides: {
                taskResourceLocalHandlers: Object.fromEntries(childTasks.map((task) => [task, lambda(task)])) as any,
                retryIntervalOverrides: Object.fromEntries(childTasks.map((task) => [task, 0])),
              },
            });
            return execution.result;
          },
        });
        mapRuns.push(run);
        return run.details;
      };
    } else if (/:states:::events:putEvents$/.test(state.Resource)) {
      taskHandlers[name] = async (request) => handlers.putEvents(request);
    } else {
      taskHandlers[name] = lambda(name);
    }
  }

  const waits = Object.keys(parent.States).filter((name) => parent.States[name].Type === 'Wait');
  const machine = new StateMachine(parent, { validationOptions: { checkArn: true, checkPaths: true } });
  const execution = machine.run(input, {
    context,
    overrides: {
      taskResourceLocalHandlers: taskHandlers,
      waitTimeOverrides: Object.fromEntries(waits.map((name) => [name, 0])),
      retryIntervalOverrides: Object.fromEntries(Object.keys(taskHandlers).map((name) => [name, 0])),
    },
  });
  return { output: await execution.result, mapRuns };
}
