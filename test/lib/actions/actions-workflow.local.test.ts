import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ModerationAction, ModerationPipeline, ModerationPolicy, ModerationRule } from '../../../lib';
import { ActionsState } from '../../../lib/actions/actions-contract';
import { applyActions } from '../../../lambda/actions/apply-actions';
import { EventsDouble, faultyS3, seed, SETTINGS, trackedState, useLocalS3 } from '../../support/actions/actions-fixture';
import { schemaErrors } from '../../support/event-schema';
import { definitionFromTemplate, runLocally } from '../../support/local-state-machine';
import { logicalId } from '../../support/synth-helpers';

// The synthesized tracking workflow of a pipeline with a policy, run by aws-local-stepfunctions:
// the tracker answers a finished job, the actions step runs the real actions code against s3rver,
// and PutEvents is a local function. Retry pauses take 0 ms.

const local = useLocalS3();

test('the workflow re-invokes the step while its time budget runs out, retries it on SlowDown, then publishes the detail with the counts', async () => {
  // GIVEN a pipeline with a policy, and a finished job of 200 images (the step runs with the fixture's mixed policy: 20 quarantined, 40 events)
  const stack = new Stack(new App(), 'Stack');
  const pipeline = new ModerationPipeline(stack, 'Pipeline', {
    policy: ModerationPolicy.of({ rules: [ModerationRule.label('Explicit', { minConfidence: 80, actions: [ModerationAction.QUARANTINE, ModerationAction.EVENT] })] }),
  });
  const definition = definitionFromTemplate(Template.fromStack(stack), { stateMachine: logicalId(pipeline.trackingStateMachine) });
  const token = 'f'.repeat(64);
  const prefix = 'results/workflow/ffffffffffff';
  const resultsKey = `${prefix}/job-1/results/output.jsonl`;
  await seed(local.client, 200, resultsKey);
  const finished = trackedState(token, prefix, resultsKey);
  const { step: trackerStep, ...input } = finished;
  const events = new EventsDouble();
  let invocations = 0;
  let getTagging = 0;
  const { client } = faultyS3(local.client, (command) => {
    if (command.constructor.name === 'GetObjectTaggingCommand' && (getTagging += 1) === 120) {
      throw Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown', $fault: 'server', $metadata: { httpStatusCode: 503 } });
    }
  });
  const published: any[] = [];

  // WHEN
  const run = await runLocally(definition, input, {
    tasks: {
      CheckJob: () => trackerStep,
      [ActionsState.APPLY]: async (state: any) => {
        invocations += 1;
        let calls = 0;
        // The first invocation's budget runs out after two chunks.
        const remainingMs = () => (invocations === 1 && (calls += 1) >= 2 ? 1_000 : 600_000);
        try {
          return await applyActions(state, { s3: client, events: events.client, settings: SETTINGS, remainingMs, eventRetry: { attempts: 3, baseDelayMs: 0, sleep: async () => undefined } });
        } catch (error) {
          // As Lambda reports a function error to Step Functions: by its name.
          throw Object.assign(new Error((error as Error).message), { name: (error as Error).name });
        }
      },
      PublishCompletion: (request: any) => {
        published.push(request);
        return { FailedEntryCount: 0, Entries: [{ EventId: 'completion-1' }] };
      },
    },
  });

  // THEN
  expect(run.status).toBe('SUCCEEDED');
  expect(run.visited.filter((name) => name === ActionsState.APPLY).length).toBeGreaterThanOrEqual(2);
  expect(run.retried).toContain(ActionsState.APPLY);
  expect(run.visited.indexOf('PublishCompletion')).toBeGreaterThan(run.visited.lastIndexOf(ActionsState.APPLY));
  const detail = run.output.step.detail;
  expect(detail.actions).toMatchObject({ imagesEvaluated: 200, imagesQuarantined: 20, eventsPublished: 40 });
  expect(schemaErrors(detail)).toEqual([]);
  expect(JSON.stringify(published)).toContain('"actions"');
  const keys = events.details().map((event) => event.image.key);
  expect(new Set(keys).size).toBe(keys.length);
}, 120_000);
