import { request } from 'node:http';
import { App, Stack } from 'aws-cdk-lib';
import { ImageIngestion, ModerationBackfill, ModerationPipeline } from '../../../lib';
import { SUMMARIZE_HANDLER, WRITE_MANIFESTS_HANDLER } from '../../../lib/backfill/backfill-contract';
import { handlerBundle } from '../bundled-handler';
import type { JsonProtocolDouble } from '../json-protocol-double';
import { LOCAL_S3_CLIENT_ENV, LOCAL_S3_CREDENTIALS } from '../local-s3';
import { asS3Notification, matchesRule } from './bucket-notifications';
import { synthesizeExample, type SynthesizedExample } from './cloud-assembly';
import { startConditionalPutProxy, type ConditionalPutProxy } from './conditional-put-proxy';
import { drainToBatcher, startBatcherSqsDouble } from './ingest-event-source';
import { runBackfillMap } from './backfill-map';
import { startLocalPipeline, type LocalPipeline, type LocalPipelineOptions, type PublishedEvent } from './local-pipeline';
import { LocalQueue } from './local-queue';
import { LOCAL_REGION, resolveValue } from './template-values';
import { WarmHandler } from './warm-handler';

/**
 * Both ways images come in, end to end on local servers: a pipeline with image ingestion under
 * `uploads/` and a backfill of `library/`, synthesized, its trigger, tracker, ingest batcher and
 * backfill handlers run from cdk.out with the template's environment. Uploads -> s3rver's events
 * (routed by the template's notification rules) -> the ingest queue -> the batcher -> manifests
 * (through a proxy giving s3rver S3's create-only PUT) -> the manifest queue -> the trigger -> jobs
 * on the Rekognition double -> tracking -> completion events.
 *
 * s3rver keeps no versions, so ingest events carry none (as moto's do); the batcher then reads
 * the current object, which is what S3 would give for a key written once.
 */

export const UPLOADS_PREFIX = 'uploads/';
export const LIBRARY_PREFIX = 'library/';

export class ImagesInStack extends Stack {
  public readonly pipeline: ModerationPipeline;
  public readonly backfill: ModerationBackfill;

  constructor(scope: App, id: string, maxImagesPerManifest?: number) {
    super(scope, id);
    this.pipeline = new ModerationPipeline(this, 'Pipeline', {
      minConfidence: 60,
      imageIngestion: ImageIngestion.fromPrefix(UPLOADS_PREFIX, { maxImagesPerManifest }),
    });
    this.backfill = new ModerationBackfill(this, 'Backfill', { pipeline: this.pipeline, bucket: this.pipeline.inputBucket, prefix: LIBRARY_PREFIX });
  }
}

export function synthesizeImagesIn(maxImagesPerManifest?: number): SynthesizedExample<ImagesInStack> {
  // The assets are copies of assets/<name>: refuse stale ones rather than test old code.
  handlerBundle('ingest');
  handlerBundle('backfill');
  return synthesizeExample((app, id) => new ImagesInStack(app, id, maxImagesPerManifest));
}

export interface LocalImagesIn {
  readonly local: LocalPipeline;
  readonly example: SynthesizedExample<ImagesInStack>;
  readonly ingestQueue: LocalQueue;
  readonly proxy: ConditionalPutProxy;
  /** The batcher's event source batch size (the template's). */
  readonly batchSize: number;
  readonly batcher: WarmHandler;
  /** The backfill's manifest folder (`<manifestPrefix>backfill/<name>/`). */
  readonly backfillFolder: string;
  /** Puts objects into the input bucket, `concurrency` at a time. */
  putAll(keys: readonly string[], body?: string | Buffer, concurrency?: number): Promise<void>;
  /** Runs the batcher until the ingest queue is empty; returns its replies. */
  ingest(): Promise<any[]>;
  /** One run of the backfill's workflow (the Map emulated, its handlers real). */
  backfill(runId: string): Promise<{ outputs: any[]; summary: any }>;
  /** Delivers every manifest event to the trigger and tracks every execution not tracked yet; returns their events. */
  moderate(): Promise<PublishedEvent[]>;
  stop(): Promise<void>;
}

/** Registers a suite's setup and teardown of a synthesized ImagesInStack on local servers; the returned function gives it. */
export function useImagesIn(options: LocalPipelineOptions = { rekognition: { concurrentJobLimit: 20 } }, maxImagesPerManifest?: number): () => LocalImagesIn {
  let example: SynthesizedExample<ImagesInStack> | undefined;
  let running: LocalImagesIn | undefined;
  beforeAll(async () => {
    example = synthesizeImagesIn(maxImagesPerManifest);
    running = await startImagesIn(example, options);
  }, 120_000);
  afterAll(async () => {
    await running?.stop();
    example?.remove();
  });
  return () => running!;
}

export async function startImagesIn(example: SynthesizedExample<ImagesInStack>, options: LocalPipelineOptions = {}): Promise<LocalImagesIn> {
  const local = await startLocalPipeline(example, options);
  const { pipeline, backfill } = example.stack;
  const { values } = local;
  const ids = {
    batcher: example.logicalId(pipeline.imageIngestionFunction!),
    ingestQueue: example.logicalId(pipeline.imageIngestionQueue!),
    writer: example.logicalId(backfill.writerFunction),
    summarizer: example.logicalId(backfill.summaryFunction),
  };
  const ingestQueue = new LocalQueue({
    name: ids.ingestQueue, arn: values.attributes[`${ids.ingestQueue}.Arn`], url: values.refs[ids.ingestQueue], clock: local.rekognition.clock,
    visibilityTimeoutSeconds: Number(example.properties(ids.ingestQueue).VisibilityTimeout ?? 30),
  });
  const ingestRules = local.notificationRules.filter((rule) => rule.queueArn === ingestQueue.options.arn);
  if (ingestRules.length === 0) throw new Error('no notification of the ingest queue in the template');
  local.s3.onNotification((notification) => {
    for (const record of notification.Records) {
      if (ingestRules.some((rule) => matchesRule(rule, record.s3.bucket.name, record.s3.object.key, record.eventName))) {
        ingestQueue.send(asS3Notification({ Records: [record] }));
      }
    }
  });
  const mapping = Object.values<any>(example.template.Resources).find((resource) => resource.Type === 'AWS::Lambda::EventSourceMapping'
    && JSON.stringify(resource.Properties.FunctionName).includes(ids.batcher));
  const batchSize = Number(mapping?.Properties.BatchSize ?? 10);

  const proxy = await startConditionalPutProxy(local.s3.url);
  const sqs: JsonProtocolDouble = await startBatcherSqsDouble(ingestQueue);
  const awsEnv = {
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_S3: proxy.url,
    AWS_ENDPOINT_URL_SQS: sqs.url,
    S3_FORCE_PATH_STYLE: 'true',
    ...LOCAL_S3_CLIENT_ENV,
  };
  const env = (id: string) => ({ ...resolveValue(example.properties(id).Environment?.Variables ?? {}, values) as Record<string, string>, ...awsEnv });
  const batcher = new WarmHandler(example.functionBundle(ids.batcher), env(ids.batcher));
  const writer = new WarmHandler(example.functionBundle(ids.writer), env(ids.writer), WRITE_MANIFESTS_HANDLER);
  const summarizer = new WarmHandler(example.functionBundle(ids.summarizer), env(ids.summarizer), SUMMARIZE_HANDLER);
  const tracked = new Set<string>();

  return {
    local, example, ingestQueue, proxy, batchSize, batcher, backfillFolder: backfill.manifestFolder,
    putAll: async (keys, body = 'image bytes', concurrency = 32) => {
      let next = 0;
      await Promise.all(Array.from({ length: concurrency }, async () => {
        while (next < keys.length) await plainPut(local.s3.url, local.inputBucket, keys[next++], body);
      }));
    },
    ingest: () => drainToBatcher(ingestQueue, batcher, batchSize) as Promise<any[]>,
    backfill: (runId) => runBackfillMap({
      s3: local.s3.client, bucket: local.inputBucket, prefix: LIBRARY_PREFIX, maxItems: Number(resolveValue(example.properties(ids.writer).Environment.Variables.MAX_IMAGES_PER_MANIFEST, values)),
      resultBucket: local.inputBucket, resultPrefix: `${backfill.manifestFolder}runs`, writer, summarizer,
    }, runId),
    moderate: async () => {
      await local.drain();
      const events: PublishedEvent[] = [];
      for (const execution of local.aws.executions) {
        if (tracked.has(execution.name)) continue;
        tracked.add(execution.name);
        events.push(...(await local.track(execution)).events);
      }
      return events;
    },
    stop: async () => {
      await Promise.all([batcher.stop(), writer.stop(), summarizer.stop()]);
      await Promise.all([sqs.stop(), proxy.stop()]);
      await local.stop();
    },
  };
}

/**
 * An unsigned path-style PUT, which s3rver accepts: twice as many uploads a second as the SDK's
 * client (measured: 255/s against 120/s with s3rver in the same process), whose signing and
 * middleware cost as much CPU as s3rver's own work. The uploads are the test's, not the code's
 * under test; s3rver emits the same event either way.
 */
function plainPut(endpoint: string, bucket: string, key: string, body: string | Buffer): Promise<void> {
  const url = new URL(endpoint);
  const path = `/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  return new Promise((resolve, reject) => {
    const put = request({ host: url.hostname, port: url.port, method: 'PUT', path, headers: { 'content-length': Buffer.byteLength(body) } }, (response) => {
      response.resume();
      response.on('end', () => (response.statusCode === 200 ? resolve() : reject(new Error(`PUT ${path}: HTTP ${response.statusCode}`))));
    });
    put.on('error', reject);
    put.end(body);
  });
}
