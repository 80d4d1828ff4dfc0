import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { SQSRecord } from 'aws-lambda';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { BACKLOG_TICK, type BacklogTick } from '../../../lib/trigger/backlog-contract';
import { BundledRun, runBundledHandler } from '../bundled-handler';
import { LOCAL_S3_CLIENT_ENV, LOCAL_S3_CREDENTIALS } from '../local-s3';
import { RekognitionDouble, RekognitionDoubleOptions, startRekognitionDouble } from '../rekognition-double';
import { asS3Notification, matchesRule, queueNotificationRules, QueueNotificationRule } from './bucket-notifications';
import type { PipelineStack, SynthesizedExample } from './cloud-assembly';
import { LocalQueue } from './local-queue';
import { S3ServerWithEvents, startS3ServerWithEvents } from './s3-server';
import { SqsAndSfnDouble, StartedExecution, startSqsAndSfnDouble } from './sqs-and-sfn-double';
import { localValues, LOCAL_REGION, resolveString, resolveValue, TemplateValues } from './template-values';
import { runTrackingWorkflow, TrackingRun } from './tracking-workflow';
import { WarmHandler } from './warm-handler';

export interface LocalPipelineOptions {
  /** Rekognition double settings (its S3 view is set here). */
  readonly rekognition?: Omit<Partial<RekognitionDoubleOptions>, 's3'>;
  /** More buckets on the S3 server, outside what the pipeline may read (unless listed in readableBuckets). */
  readonly otherBuckets?: string[];
  /** The caller's view for Rekognition. @default the input and output buckets (what the trigger role may read) */
  readonly readableBuckets?: string[];
  /** Bucket -> Region for the Rekognition double. */
  readonly bucketRegions?: Record<string, string>;
  /**
   * Run the trigger in one warm child process (module state kept between invocations, as in a warm
   * Lambda container) instead of a fresh process per invocation. Its environment is fixed when it
   * starts: setTriggerEnv() does not reach it, and its logs are not collected.
   * @default false
   */
  readonly warmTrigger?: boolean;
  /**
   * Changes to the trigger's environment from the start (a warm trigger included); undefined
   * removes a variable, e.g. BACKLOG_QUEUE_URL for a pipeline without a backlog.
   */
  readonly triggerEnv?: Record<string, string | undefined>;
}

/** One completion event as PublishCompletion would put it on the bus. */
export interface PublishedEvent {
  readonly source: string;
  readonly detailType: string;
  readonly detail: any;
}

export interface TrackedExecution extends TrackingRun {
  readonly events: PublishedEvent[];
}

/**
 * The synthesized example app on local servers: s3rver (its events routed by the template's
 * notification rules into a local manifest queue), the Rekognition double, SQS and Step Functions
 * doubles, and the trigger and tracker bundles taken from cdk.out, run in child processes with the
 * environment the template gives them (references replaced by local values).
 */
export interface LocalPipeline {
  readonly example: SynthesizedExample<PipelineStack>;
  readonly values: TemplateValues;
  readonly inputBucket: string;
  readonly outputBucket: string;
  readonly s3: S3ServerWithEvents;
  readonly rekognition: RekognitionDouble;
  readonly aws: SqsAndSfnDouble;
  readonly queue: LocalQueue;
  readonly deadLetterQueue: LocalQueue;
  /** Manifests waiting for a job slot (absent when the template has no backlog). */
  readonly backlog?: LocalQueue;
  readonly notificationRules: QueueNotificationRule[];
  readonly triggerEnv: Record<string, string>;
  readonly trackerEnv: Record<string, string>;
  readonly definition: StateMachineDefinition;
  readonly batchSize: number;
  /** cdk.out/asset.<hash>/index.mjs of the trigger and the tracker. */
  readonly triggerBundle: string;
  readonly trackerBundle: string;
  /** Every trigger invocation, oldest first. */
  readonly invocations: Array<{ records: SQSRecord[]; run: BundledRun }>;
  /** Puts an object; returns the versionId its event carries (the input bucket is versioned in the template). */
  put(bucket: string, key: string, body: string | Buffer): Promise<{ versionId?: string }>;
  /** Runs the trigger once on the messages visible now (up to the batch size); undefined if none. */
  deliver(): Promise<BundledRun | undefined>;
  /** Runs the trigger on these records (e.g. a duplicate delivery) and applies its answer to the queue. */
  invokeTrigger(records: SQSRecord[]): Promise<BundledRun>;
  /** One look of the backlog schedule (the schedule's input with a single look, no waiting). */
  tick(): Promise<BundledRun>;
  /**
   * Delivers until the queue and the backlog are empty, moving the simulated clock to each next
   * visible message or, while manifests wait in the backlog, to the schedule's next look (every
   * lookIntervalSeconds), for at most `maxSimulatedSeconds`; returns the number of trigger invocations.
   */
  drain(options?: { maxSimulatedSeconds?: number; maxInvocations?: number }): Promise<number>;
  /** Runs the tracking workflow of a started execution to its end. */
  track(execution: StartedExecution): Promise<TrackedExecution>;
  /** The text of an s3:// URI on the S3 server. */
  read(uri: string): Promise<string>;
  /**
   * Changes the trigger's environment until the next reset(), e.g. VALIDATE_MANIFESTS 'false' for
   * what a pipeline deployed with validateManifests: false runs.
   */
  setTriggerEnv(overrides: Record<string, string>): void;
  /** Changes the tracker's environment until the next reset() (e.g. its S3 endpoint). */
  setTrackerEnv(overrides: Record<string, string>): void;
  /** Forgets queues, executions, calls, scripted faults and trigger overrides between tests (servers and jobs stay). */
  reset(): void;
  stop(): Promise<void>;
}

export async function startLocalPipeline(example: SynthesizedExample<PipelineStack>, options: LocalPipelineOptions = {}): Promise<LocalPipeline> {
  const { stack, template } = example;
  const pipeline = stack.pipeline;
  const ids = {
    trigger: example.logicalId(pipeline.triggerFunction),
    tracker: example.logicalId(pipeline.trackerFunction),
    stateMachine: example.logicalId(pipeline.trackingStateMachine),
    queue: example.logicalId(pipeline.manifestQueue),
    deadLetterQueue: example.logicalId(pipeline.deadLetterQueue),
    backlog: pipeline.backlogQueue && example.logicalId(pipeline.backlogQueue),
    inputBucket: example.logicalId(pipeline.inputBucket),
    outputBucket: example.logicalId(pipeline.outputBucket),
  };
  const values = localValues(template);
  const inputBucket = values.refs[ids.inputBucket];
  const outputBucket = values.refs[ids.outputBucket];
  const inputVersioned = example.properties(ids.inputBucket).VersioningConfiguration?.Status === 'Enabled';
  const queueProperties = example.properties(ids.queue);
  const redrive = queueProperties.RedrivePolicy;
  const mapping = Object.values<any>(template.Resources).find((resource) => resource.Type === 'AWS::Lambda::EventSourceMapping'
    && resolveString(resource.Properties.FunctionName, values) === values.refs[ids.trigger]);
  if (!mapping) throw new Error('no SQS event source mapping for the trigger in the template');

  const s3 = await startS3ServerWithEvents([inputBucket, outputBucket, ...options.otherBuckets ?? []]);
  const rekognition = await startRekognitionDouble({
    ...options.rekognition,
    s3: {
      endpoint: s3.url,
      readableBuckets: options.readableBuckets ?? [inputBucket, outputBucket],
      bucketRegions: options.bucketRegions,
    },
  });
  const clock = rekognition.clock;
  const deadLetterQueue = new LocalQueue({
    name: ids.deadLetterQueue, arn: values.attributes[`${ids.deadLetterQueue}.Arn`], url: values.refs[ids.deadLetterQueue],
    clock, visibilityTimeoutSeconds: Number(example.properties(ids.deadLetterQueue).VisibilityTimeout ?? 30),
  });
  const queue = new LocalQueue({
    name: ids.queue, arn: values.attributes[`${ids.queue}.Arn`], url: values.refs[ids.queue], clock,
    visibilityTimeoutSeconds: Number(queueProperties.VisibilityTimeout ?? 30),
    ...(redrive && resolveString(redrive.deadLetterTargetArn, values) === deadLetterQueue.options.arn
      && { maxReceiveCount: Number(redrive.maxReceiveCount), deadLetterQueue }),
  });
  const backlog = ids.backlog === undefined ? undefined : new LocalQueue({
    name: ids.backlog, arn: values.attributes[`${ids.backlog}.Arn`], url: values.refs[ids.backlog], clock,
    visibilityTimeoutSeconds: Number(example.properties(ids.backlog).VisibilityTimeout ?? 30),
    maxReceiveCount: Number(example.properties(ids.backlog).RedrivePolicy.maxReceiveCount), deadLetterQueue,
  });
  const stateMachineArn = values.refs[ids.stateMachine];
  const aws = await startSqsAndSfnDouble([queue, deadLetterQueue, ...backlog ? [backlog] : []], [stateMachineArn]);

  const notificationRules = queueNotificationRules(template, values);
  let versions = 0;
  const lastVersion = new Map<string, string>();
  s3.onNotification((notification) => {
    for (const record of notification.Records) {
      const { name: bucket } = record.s3.bucket;
      const { key } = record.s3.object;
      const versionId = bucket === inputBucket && inputVersioned ? `local-version-${++versions}` : undefined;
      if (versionId) lastVersion.set(`${bucket}/${key}`, versionId);
      for (const rule of notificationRules) {
        if (rule.queueArn === queue.options.arn && matchesRule(rule, bucket, key, record.eventName)) {
          queue.send(asS3Notification({ Records: [record] }, versionId));
        }
      }
    }
  });

  const awsEnv = {
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_REKOGNITION: rekognition.url,
    AWS_ENDPOINT_URL_SQS: aws.url,
    AWS_ENDPOINT_URL_SFN: aws.url,
    AWS_ENDPOINT_URL_S3: s3.url,
    S3_FORCE_PATH_STYLE: 'true',
    ...LOCAL_S3_CLIENT_ENV,
  };
  const functionEnv = (id: string): Record<string, string> => ({
    ...resolveValue(example.properties(id).Environment?.Variables ?? {}, values) as Record<string, string>,
    ...awsEnv,
  });
  const triggerEnv = functionEnv(ids.trigger);
  for (const [name, value] of Object.entries(options.triggerEnv ?? {})) {
    if (value === undefined) delete triggerEnv[name];
    else triggerEnv[name] = value;
  }
  const deployedTriggerEnv = { ...triggerEnv };
  const trackerEnv = functionEnv(ids.tracker);
  const deployedTrackerEnv = { ...trackerEnv };
  const triggerBundle = example.functionBundle(ids.trigger);
  const trackerBundle = example.functionBundle(ids.tracker);
  const definition = JSON.parse(resolveString(example.properties(ids.stateMachine).DefinitionString, values)) as StateMachineDefinition;
  const batchSize = Number(mapping.Properties.BatchSize ?? 10);
  const invocations: LocalPipeline['invocations'] = [];

  const warm = options.warmTrigger ? new WarmHandler(triggerBundle, triggerEnv) : undefined;
  const invokeTrigger = async (records: SQSRecord[]) => {
    const run: BundledRun = warm
      ? { response: await warm.invoke({ Records: records }), logs: [], exitCode: 0, stderr: '' }
      : await runBundledHandler(triggerBundle, { Records: records }, triggerEnv);
    invocations.push({ records, run });
    queue.settle(records, run.exitCode === 0 ? run.response : undefined);
    return run;
  };
  const deliver = async () => {
    const records = queue.receive(batchSize);
    return records.length === 0 ? undefined : invokeTrigger(records);
  };
  const look: BacklogTick = { backlogLooks: 1, lookIntervalSeconds: 0 };
  const tick = async (): Promise<BundledRun> => (warm
    ? { response: await warm.invoke(look), logs: [], exitCode: 0, stderr: '' }
    : runBundledHandler(triggerBundle, look, triggerEnv));
  const lookInterval = BACKLOG_TICK.lookIntervalSeconds * 1000;

  return {
    example, values, inputBucket, outputBucket, s3, rekognition, aws, queue, deadLetterQueue, backlog, notificationRules,
    triggerEnv, trackerEnv, definition, batchSize, invocations, triggerBundle, trackerBundle,
    put: async (bucket, key, body) => {
      await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: Buffer.byteLength(body) }));
      const versionId = lastVersion.get(`${bucket}/${key}`);
      return versionId === undefined ? {} : { versionId };
    },
    deliver,
    invokeTrigger,
    tick,
    drain: async ({ maxSimulatedSeconds = 86_400, maxInvocations = 1_000 } = {}) => {
      const until = clock.now() + maxSimulatedSeconds * 1000;
      let count = 0;
      let nextLook = clock.now();
      while (count < maxInvocations) {
        const nextMessage = queue.nextVisibleAt();
        const waiting = backlog !== undefined && backlog.messages.length > 0;
        if (waiting) nextLook = Math.max(nextLook, clock.now());
        const next = Math.min(nextMessage ?? Infinity, waiting ? nextLook : Infinity);
        if (next === Infinity || next > until) break;
        clock.advanceTo(next);
        if (nextMessage !== undefined && nextMessage <= next) {
          if (await deliver()) count += 1;
        } else {
          await tick();
          count += 1;
          nextLook = next + lookInterval;
        }
      }
      return count;
    },
    track: async (execution) => {
      const events: PublishedEvent[] = [];
      const run = await runTrackingWorkflow(definition, execution.input, {
        checkJob: async (payload) => {
          const step = await runBundledHandler(trackerBundle, payload, trackerEnv);
          if (step.exitCode !== 0) {
            throw Object.assign(new Error(step.response?.error?.message ?? step.stderr), { name: step.response?.error?.name ?? 'Lambda.Unknown' });
          }
          return step.response;
        },
        putEvents: (request) => {
          for (const entry of request.Entries) events.push({ source: entry.Source, detailType: entry.DetailType, detail: entry.Detail });
          return { Entries: request.Entries.map((_, index) => ({ EventId: `local-event-${events.length - request.Entries.length + index + 1}` })), FailedEntryCount: 0 };
        },
        onWait: (seconds) => clock.advanceSeconds(seconds),
      });
      return { ...run, events };
    },
    read: async (uri) => {
      const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
      if (!match) throw new Error(`not an s3:// URI: ${uri}`);
      const object = await s3.client.send(new GetObjectCommand({ Bucket: match[1], Key: match[2] }));
      return object.Body!.transformToString();
    },
    setTriggerEnv: (overrides) => override(triggerEnv, deployedTriggerEnv, overrides),
    setTrackerEnv: (overrides) => override(trackerEnv, deployedTrackerEnv, overrides),
    reset: () => {
      restore(triggerEnv, deployedTriggerEnv);
      restore(trackerEnv, deployedTrackerEnv);
      queue.clear();
      deadLetterQueue.clear();
      backlog?.clear();
      aws.executions.splice(0);
      aws.refusedStarts.splice(0);
      aws.setStartExecutionFault(undefined);
      aws.server.clear();
      rekognition.faults.clear();
      rekognition.calls.clear();
      invocations.splice(0);
    },
    stop: async () => {
      await warm?.stop();
      await Promise.all([aws.stop(), rekognition.stop()]);
      await s3.stop();
    },
  };
}

function override(env: Record<string, string>, deployed: Record<string, string>, overrides: Record<string, string>): void {
  for (const [name, value] of Object.entries(overrides)) {
    if (!(name in deployed)) throw new Error(`the function has no ${name} to override`);
    env[name] = value;
  }
}

function restore(env: Record<string, string>, deployed: Record<string, string>): void {
  for (const name of Object.keys(env)) delete env[name];
  Object.assign(env, deployed);
}
