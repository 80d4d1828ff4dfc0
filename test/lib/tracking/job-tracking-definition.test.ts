import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import { GetMediaAnalysisJobCommand, RekognitionClient } from '@aws-sdk/client-rekognition';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { JOB_COMPLETED_DETAIL_TYPE, MODERATION_EVENT_SOURCE, ModerationPipeline } from '../../../lib';
import { WORKFLOW_RETRYABLE_ERRORS } from '../../../lib/common/contract/error-names';
import type { CompletionEventDetail } from '../../../lib/events/completion-event-contract';
import type { TrackingInput, TrackingStep } from '../../../lib/tracking/tracking-contract';
import {
  StateMachineDefinition,
  TaskOverride,
  definitionFromTemplate,
  placeholderAtt,
  placeholderRef,
  runLocally,
} from '../../support/local-state-machine';
import { logicalId } from '../../support/synth-helpers';
import { captureLogs, CapturedLogs } from '../../support/capture-logs';
import { schemaErrors } from '../../support/event-schema';
import { finishedJob, OUTPUT_BUCKET, RESULTS_KEY, s3Body, SUMMARY_KEY, summaryJson, trackingInput } from '../../support/result-fixtures';
import { handler } from '../../../lambda/tracking';
import { trackJob } from '../../../lambda/tracking/track-job';

// The synthesized tracking workflow, executed with aws-local-stepfunctions: the tracker Lambda,
// PutEvents and SNS Publish are local functions; Wait and Retry pauses take 0 ms.

const SAMPLE_DETAIL: CompletionEventDetail = require('../../../docs/sample-event.json').detail;

const INPUT: TrackingInput = {
  token: 'a'.repeat(64),
  engine: 'bulk',
  manifest: { bucket: 'acme-manifests', key: 'manifests/batch-1.jsonl', version: 'v1' },
  jobName: 'moderation-batch-1-aaaaaaaaaaaa',
  jobId: 'job-1',
  output: { bucket: 'acme-results', prefix: 'results/manifests/batch-1.jsonl/aaaaaaaaaaaa/' },
  minConfidence: 60,
};

const STATE_NAMES = {
  start: 'StartTracking',
  check: 'CheckJob',
  finished: 'Finished?',
  wait: 'WaitForJob',
  publish: 'PublishCompletion',
  accepted: 'EventAccepted?',
  notify: 'NotifyTopic',
  reported: 'Reported',
  rejected: 'EventNotPublished',
};

/** A tracker that answers the given steps in turn (the last one repeats), recording its payloads. */
function scriptedTracker(steps: Array<TrackingStep | Error>): TaskOverride & { payloads: any[] } {
  const payloads: any[] = [];
  const tracker = (payload: any) => {
    payloads.push(structuredClone(payload));
    const step = steps[Math.min(payloads.length - 1, steps.length - 1)];
    if (step instanceof Error) throw step;
    return step;
  };
  return Object.assign(tracker, { payloads });
}

/** A PutEvents stand-in that records every request and answers with `failedEntryCount`. */
function putEvents(failedEntryCount = 0): TaskOverride & { requests: any[] } {
  const requests: any[] = [];
  const handler = (request: any) => {
    requests.push(structuredClone(request));
    return {
      FailedEntryCount: failedEntryCount,
      Entries: failedEntryCount > 0 ? [{ ErrorCode: 'InternalFailure', ErrorMessage: 'rejected' }] : [{ EventId: 'event-1' }],
    };
  };
  return Object.assign(handler, { requests });
}

/** A Task stand-in that must not be reached. */
function unexpected(name: string): TaskOverride {
  return () => {
    throw new Error(`${name} should not run`);
  };
}

function namedError(name: string, message = name): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

const RUNNING: TrackingStep = { done: false, status: 'IN_PROGRESS' };
const SUCCEEDED: TrackingStep = { done: true, status: 'SUCCEEDED', detail: SAMPLE_DETAIL };

describe('tracking workflow (default pipeline), run locally', () => {
  let definition: StateMachineDefinition;

  beforeAll(() => {
    // GIVEN a pipeline with the default bus and no topic
    const stack = new Stack(new App(), 'Stack');
    new ModerationPipeline(stack, 'Pipeline');
    definition = definitionFromTemplate(Template.fromStack(stack));
  });

  test('polls a running job, waits between polls, then publishes the tracker\'s detail once and succeeds', async () => {
    // GIVEN
    const tracker = scriptedTracker([RUNNING, RUNNING, SUCCEEDED]);
    const publish = putEvents(0);

    // WHEN
    const run = await runLocally(definition, INPUT, { tasks: { CheckJob: tracker, PublishCompletion: publish }, waits: { WaitForJob: 0 } });

    // THEN
    expect(run.status).toBe('SUCCEEDED');
    expect(run.visited).toEqual([
      STATE_NAMES.start,
      STATE_NAMES.check, STATE_NAMES.finished, STATE_NAMES.wait,
      STATE_NAMES.check, STATE_NAMES.finished, STATE_NAMES.wait,
      STATE_NAMES.check, STATE_NAMES.finished,
      STATE_NAMES.publish, STATE_NAMES.accepted, STATE_NAMES.reported,
    ]);
    expect(tracker.payloads).toHaveLength(3);
    expect(publish.requests).toEqual([{
      Entries: [{ Source: MODERATION_EVENT_SOURCE, DetailType: JOB_COMPLETED_DETAIL_TYPE, Detail: SAMPLE_DETAIL }],
    }]);
    expect(run.retried).toEqual([]);
  });

  test('gives the tracker the execution input and its start time on every poll (with the previous step beside it)', async () => {
    // GIVEN
    const tracker = scriptedTracker([RUNNING, SUCCEEDED]);
    const before = Date.now();

    // WHEN
    await runLocally(definition, INPUT, { tasks: { CheckJob: tracker, PublishCompletion: putEvents(0) } });

    // THEN the first poll gets the input and the tracking context, the next one the last step too
    const tracking = { startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) };
    expect(tracker.payloads[0]).toEqual({ ...INPUT, tracking });
    expect(tracker.payloads[1]).toEqual({ ...INPUT, tracking, step: RUNNING });
    // The execution's start time ($$.Execution.StartTime), the same on every poll.
    expect(Date.parse(tracker.payloads[0].tracking.startedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(tracker.payloads[1].tracking).toEqual(tracker.payloads[0].tracking);
  });

  test('ends with the final step and the PutEvents response in the output', async () => {
    // WHEN
    const run = await runLocally(definition, INPUT, { tasks: { CheckJob: scriptedTracker([SUCCEEDED]), PublishCompletion: putEvents(0) } });

    // THEN
    expect(run.output).toEqual({
      ...INPUT,
      tracking: { startedAt: expect.any(String) },
      step: SUCCEEDED,
      published: { FailedEntryCount: 0, Entries: [{ EventId: 'event-1' }] },
    });
  });

  test('goes straight to PublishCompletion after one CheckJob for a manifest whose job never started', async () => {
    // GIVEN a permanent trigger failure: no jobId, a startFailure
    const input: TrackingInput = {
      ...INPUT,
      jobId: undefined,
      startFailure: { code: 'INVALID_MANIFEST', message: 'empty manifest', errorReport: 's3://acme-results/report.json' },
    };
    delete (input as any).jobId;
    const failedDetail: CompletionEventDetail = {
      ...SAMPLE_DETAIL,
      status: 'FAILED',
      jobId: null,
      failure: { code: 'INVALID_MANIFEST', message: 'empty manifest', stage: 'START' },
    };
    const tracker = scriptedTracker([{ done: true, status: 'FAILED', detail: failedDetail }]);
    const publish = putEvents(0);

    // WHEN
    const run = await runLocally(definition, input, { tasks: { CheckJob: tracker, PublishCompletion: publish } });

    // THEN
    expect(run.status).toBe('SUCCEEDED');
    expect(run.visited).toEqual([STATE_NAMES.start, STATE_NAMES.check, STATE_NAMES.finished, STATE_NAMES.publish, STATE_NAMES.accepted, STATE_NAMES.reported]);
    expect(tracker.payloads).toEqual([{ ...input, tracking: { startedAt: expect.any(String) } }]);
    expect(publish.requests.map((r) => r.Entries[0].Detail)).toEqual([failedDetail]);
  });

  test('retries a throttled CheckJob in place (no extra wait, no extra poll cycle) and goes on', async () => {
    // GIVEN GetMediaAnalysisJob throttled once, then the job running, then done
    const tracker = scriptedTracker([namedError('ThrottlingException', 'Rate exceeded'), RUNNING, SUCCEEDED]);

    // WHEN
    const run = await runLocally(definition, INPUT, { tasks: { CheckJob: tracker, PublishCompletion: putEvents(0) } });

    // THEN
    expect(run.status).toBe('SUCCEEDED');
    expect(run.retried).toEqual([STATE_NAMES.check]);
    expect(tracker.payloads).toHaveLength(3);
    // The retry happens inside the first CheckJob visit: two visits, one wait.
    expect(run.visited.filter((name) => name === STATE_NAMES.check)).toHaveLength(2);
    expect(run.visited.filter((name) => name === STATE_NAMES.wait)).toHaveLength(1);
    // The retried attempt gets the same payload as the throttled one.
    expect(tracker.payloads[1]).toEqual(tracker.payloads[0]);
  });

  test.each([...WORKFLOW_RETRYABLE_ERRORS])('retries CheckJob on %s', async (errorName) => {
    // GIVEN
    const tracker = scriptedTracker([namedError(errorName), SUCCEEDED]);

    // WHEN
    const run = await runLocally(definition, INPUT, { tasks: { CheckJob: tracker, PublishCompletion: putEvents(0) } });

    // THEN
    expect(run.status).toBe('SUCCEEDED');
    expect(run.retried).toEqual([STATE_NAMES.check]);
  });

  test('fails the execution (visibly, for the TrackingFailed alarm) after 10 retries of a CheckJob that stays throttled', async () => {
    // GIVEN
    const tracker = scriptedTracker([namedError('ThrottlingException', 'Rate exceeded')]);
    const publish = putEvents(0);

    // WHEN
    const run = await runLocally(definition, INPUT, { tasks: { CheckJob: tracker, PublishCompletion: publish } });

    // THEN one attempt and 10 retries, then the execution fails with the error; nothing is published
    expect(run.status).toBe('FAILED');
    expect(run.error).toEqual({ name: 'ThrottlingException', cause: 'Rate exceeded' });
    expect(tracker.payloads).toHaveLength(11);
    expect(run.retried).toHaveLength(10);
    expect(publish.requests).toEqual([]);
  });

  test('does not retry an error outside the transient list (e.g. AccessDeniedException): the execution fails at once', async () => {
    // GIVEN
    const tracker = scriptedTracker([namedError('AccessDeniedException', 'not authorized to perform rekognition:GetMediaAnalysisJob')]);

    // WHEN
    const run = await runLocally(definition, INPUT, { tasks: { CheckJob: tracker, PublishCompletion: unexpected('PublishCompletion') } });

    // THEN
    expect(run.status).toBe('FAILED');
    expect(run.error?.name).toBe('AccessDeniedException');
    expect(run.retried).toEqual([]);
    expect(tracker.payloads).toHaveLength(1);
  });

  test('ends in the Fail state EventNotPublished when EventBridge rejects the event (FailedEntryCount 1)', async () => {
    // GIVEN
    const publish = putEvents(1);

    // WHEN
    const run = await runLocally(definition, INPUT, { tasks: { CheckJob: scriptedTracker([SUCCEEDED]), PublishCompletion: publish } });

    // THEN
    expect(run.status).toBe('FAILED');
    expect(run.error).toEqual({ name: 'EventNotPublished', cause: expect.stringContaining('FailedEntryCount > 0') });
    expect(run.visited.slice(-3)).toEqual([STATE_NAMES.publish, STATE_NAMES.accepted, STATE_NAMES.rejected]);
    expect(publish.requests).toHaveLength(1);
  });

  test('retries a PutEvents call that fails (States.ALL) and publishes once it goes through', async () => {
    // GIVEN
    let calls = 0;
    const publish: TaskOverride = () => {
      calls += 1;
      if (calls === 1) throw namedError('EventBridge.InternalException');
      return { FailedEntryCount: 0, Entries: [{ EventId: 'event-1' }] };
    };

    // WHEN
    const run = await runLocally(definition, INPUT, { tasks: { CheckJob: scriptedTracker([SUCCEEDED]), PublishCompletion: publish } });

    // THEN
    expect(run.status).toBe('SUCCEEDED');
    expect(run.retried).toEqual([STATE_NAMES.publish]);
    expect(calls).toBe(2);
  });

  test('has no NotifyTopic state without a topic', () => {
    expect(Object.keys(definition.States)).not.toContain(STATE_NAMES.notify);
  });
});

describe('tracking workflow with an event bus and a completion topic, run locally', () => {
  let definition: StateMachineDefinition;
  let template: Template;
  let pipeline: ModerationPipeline;
  let bus: events.EventBus;

  beforeAll(() => {
    // GIVEN
    const stack = new Stack(new App(), 'Stack');
    bus = new events.EventBus(stack, 'Bus');
    pipeline = new ModerationPipeline(stack, 'Pipeline', { eventBus: bus, createCompletionTopic: true });
    template = Template.fromStack(stack);
    definition = definitionFromTemplate(template);
  });

  test('publishes the event to the given bus, then the detail to the topic as its message, and succeeds', async () => {
    // GIVEN
    const publish = putEvents(0);
    const notifications: any[] = [];
    const notify: TaskOverride = (request) => {
      notifications.push(structuredClone(request));
      return { MessageId: 'message-1' };
    };

    // WHEN
    const run = await runLocally(definition, INPUT, {
      tasks: { CheckJob: scriptedTracker([RUNNING, SUCCEEDED]), PublishCompletion: publish, NotifyTopic: notify },
      waits: { WaitForJob: 0 },
    });

    // THEN
    expect(run.status).toBe('SUCCEEDED');
    expect(run.visited.slice(-4)).toEqual([STATE_NAMES.publish, STATE_NAMES.accepted, STATE_NAMES.notify, STATE_NAMES.reported]);
    expect(publish.requests).toEqual([{
      Entries: [{
        Source: MODERATION_EVENT_SOURCE,
        DetailType: JOB_COMPLETED_DETAIL_TYPE,
        Detail: SAMPLE_DETAIL,
        EventBusName: placeholderAtt(template, logicalId(bus), 'Arn'),
      }],
    }]);
    expect(notifications).toEqual([{
      TopicArn: placeholderRef(template, logicalId(pipeline.completionTopic!)),
      Message: SAMPLE_DETAIL,
      Subject: JOB_COMPLETED_DETAIL_TYPE,
    }]);
  });

  test('keeps the input and the step in the output (the SNS response is discarded)', async () => {
    // WHEN
    const run = await runLocally(definition, INPUT, {
      tasks: { CheckJob: scriptedTracker([SUCCEEDED]), PublishCompletion: putEvents(0), NotifyTopic: () => ({ MessageId: 'message-1' }) },
    });

    // THEN
    expect(run.output).toEqual(expect.objectContaining({ ...INPUT, step: SUCCEEDED }));
    expect(JSON.stringify(run.output)).not.toContain('message-1');
  });

  test('does not notify the topic when EventBridge rejects the event', async () => {
    // WHEN
    const run = await runLocally(definition, INPUT, {
      tasks: { CheckJob: scriptedTracker([SUCCEEDED]), PublishCompletion: putEvents(1), NotifyTopic: unexpected('NotifyTopic') },
    });

    // THEN
    expect(run.status).toBe('FAILED');
    expect(run.error?.name).toBe('EventNotPublished');
    expect(run.visited).not.toContain(STATE_NAMES.notify);
  });

  test('retries a failed SNS Publish (States.ALL) and then succeeds', async () => {
    // GIVEN
    let calls = 0;
    const notify: TaskOverride = () => {
      calls += 1;
      if (calls === 1) throw namedError('SNS.ThrottledException');
      return { MessageId: 'message-1' };
    };

    // WHEN
    const run = await runLocally(definition, INPUT, {
      tasks: { CheckJob: scriptedTracker([SUCCEEDED]), PublishCompletion: putEvents(0), NotifyTopic: notify },
    });

    // THEN
    expect(run.status).toBe('SUCCEEDED');
    expect(run.retried).toEqual([STATE_NAMES.notify]);
    expect(calls).toBe(2);
  });
});

describe('tracking workflow with a 30-day trackingTimeout, run locally', () => {
  test('still polls and publishes (the execution timeout is longer than a Node.js timer can hold)', async () => {
    // GIVEN
    const stack = new Stack(new App(), 'Stack');
    new ModerationPipeline(stack, 'Pipeline', { trackingTimeout: Duration.days(30), pollInterval: Duration.minutes(20) });
    const definition = definitionFromTemplate(Template.fromStack(stack));
    // The tracker gives up after 30 days; the execution has a poll interval and 3 hours more to report it.
    expect((definition as any).TimeoutSeconds).toBe(30 * 24 * 3600 + 20 * 60 + 3 * 3600);

    // WHEN (a real, if short, pause in WaitForJob)
    const run = await runLocally(definition, INPUT, {
      tasks: { CheckJob: scriptedTracker([RUNNING, SUCCEEDED]), PublishCompletion: putEvents(0) },
      waits: { WaitForJob: 20 },
    });

    // THEN
    expect(run.status).toBe('SUCCEEDED');
    expect(run.visited.filter((name) => name === STATE_NAMES.check)).toHaveLength(2);
  });
});

describe('tracking workflow with the real tracker code, run locally: exactly one fate per manifest', () => {
  const rekognition = mockClient(RekognitionClient);
  const s3 = mockClient(S3Client);
  let definition: StateMachineDefinition;

  beforeAll(() => {
    // GIVEN a pipeline that tracks a job for at most 2 days
    const stack = new Stack(new App(), 'Stack');
    new ModerationPipeline(stack, 'Pipeline', { trackingTimeout: Duration.days(2) });
    definition = definitionFromTemplate(Template.fromStack(stack));
  });

  let logs: CapturedLogs;

  beforeEach(() => {
    rekognition.reset();
    s3.reset();
    logs = captureLogs();
  });

  afterEach(() => logs.restore());

  afterAll(() => {
    rekognition.restore();
    s3.restore();
  });

  test('publishes a FAILED event with stage TRACKING_TIMEOUT once a job still running outlives the tracking timeout', async () => {
    // GIVEN a job that never finishes, and a clock that has run past the deadline by the second poll
    rekognition.on(GetMediaAnalysisJobCommand).resolves(finishedJob({ Status: 'IN_PROGRESS', Results: undefined, ManifestSummary: undefined }));
    const settings = { pipelineId: 'pipeline-1', trackingTimeoutSeconds: 2 * 24 * 3600 };
    let polls = 0;
    const tracker: TaskOverride = (payload: TrackingInput) => {
      polls += 1;
      const startedAt = Date.parse(payload.tracking!.startedAt);
      return trackJob(payload, new RekognitionClient({}), settings, () => new Date(startedAt + (polls === 1 ? 0 : settings.trackingTimeoutSeconds * 1000)));
    };
    const publish = putEvents(0);

    // WHEN
    const run = await runLocally(definition, INPUT, { tasks: { CheckJob: tracker, PublishCompletion: publish } });

    // THEN the execution succeeds, having published the one event for the manifest
    expect(run.status).toBe('SUCCEEDED');
    expect(run.visited.filter((name) => name === STATE_NAMES.check)).toHaveLength(2);
    expect(publish.requests).toHaveLength(1);
    const detail: CompletionEventDetail = publish.requests[0].Entries[0].Detail;
    expect(detail).toMatchObject({
      status: 'FAILED',
      jobId: INPUT.jobId,
      failure: { code: 'TRACKING_TIMEOUT', stage: 'TRACKING_TIMEOUT', message: expect.stringContaining('still IN_PROGRESS') },
    });
    expect(schemaErrors(detail)).toEqual([]);
  });

  test('publishes a FAILED event with stage RESULTS when a succeeded job\'s results are gone before the tracker reads them', async () => {
    // GIVEN a succeeded job whose results object was deleted (S3 answers NoSuchKey to a reader allowed to list)
    rekognition.on(GetMediaAnalysisJobCommand).resolves(finishedJob());
    s3.on(GetObjectCommand, { Key: SUMMARY_KEY }).callsFake(() => ({ Body: s3Body(summaryJson({ total: 1, valid: 1, invalid: 0 })) }));
    s3.on(GetObjectCommand, { Key: RESULTS_KEY }).rejects(Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' }));
    const publish = putEvents(0);

    // WHEN
    const run = await runLocally(definition, trackingInput(), { tasks: { CheckJob: (payload) => handler(payload), PublishCompletion: publish } });

    // THEN
    expect(run.status).toBe('SUCCEEDED');
    expect(run.retried).toEqual([]);
    expect(publish.requests).toHaveLength(1);
    const detail: CompletionEventDetail = publish.requests[0].Entries[0].Detail;
    expect(detail).toMatchObject({
      status: 'FAILED',
      failure: { code: 'RESULTS_NOT_FOUND', stage: 'RESULTS', message: expect.stringContaining(`s3://${OUTPUT_BUCKET}/${RESULTS_KEY}`) },
      moderation: null,
      output: { flaggedImages: null },
    });
    expect(schemaErrors(detail)).toEqual([]);
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  });
});

describe('local-state-machine helper', () => {
  test('refuses to run a definition with a Task state that has no override (it would call AWS)', async () => {
    // GIVEN
    const definition: StateMachineDefinition = {
      StartAt: 'Call',
      States: { Call: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:f', End: true } },
    } as StateMachineDefinition;

    // WHEN / THEN
    await expect(runLocally(definition, {}, { tasks: {} })).rejects.toThrow(/no local override for Task state\(s\) Call/);
  });
});
