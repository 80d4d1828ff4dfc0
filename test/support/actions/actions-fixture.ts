import { type EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { CreateBucketCommand, PutObjectCommand, PutObjectTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import type { ActionsSettings, ActionsStep, ImageFlaggedDetail, PolicyDocument } from '../../../lib/actions/actions-contract';
import type { CompletionEventDetail } from '../../../lib/events/completion-event-contract';
import type { TrackingWorkflowState } from '../../../lib/tracking/tracking-contract';
import { type ActionsDependencies, applyActions } from '../../../lambda/actions/apply-actions';
import { isRetryable } from '../../../lambda/common/errors';
import { LOCAL_S3_CLIENT_ENV, type LocalS3, localS3Client, startLocalS3 } from '../local-s3';
import { label, type LabelFixture, resultLine } from '../result-fixtures';
import mixedPolicy from './mixed-policy.json';

export const IMAGES = 'images';
export const OUTPUT = 'output';
/** The manifests' bucket (the image-versions files beside them are read from it). */
export const MANIFESTS = 'in';

/** Explicit >= 80 quarantines and publishes; Violence >= 60 tags and publishes; any other label >= 50 tags. */
export const MIXED_POLICY = mixedPolicy as PolicyDocument;

export const SETTINGS: ActionsSettings = { policy: MIXED_POLICY, pipelineId: 'Stack/Pipeline', eventBusName: 'moderation-bus' };

/** How image i of the fixture is made: its labels, its own tags, whether it exists. */
export interface ImageSpec {
  readonly index: number;
  readonly key: string;
  readonly labels: LabelFixture[];
  readonly ownTags: number;
  readonly exists: boolean;
  /** Tagging requests for it are refused (AccessDenied), as on a bucket the pipeline may not tag. */
  readonly denied: boolean;
  readonly expected: { status: 'clean' | 'flagged' | 'quarantined'; event: boolean; failure?: string; labelsDropped?: boolean; labels?: string };
}

export function imageSpec(index: number): ImageSpec {
  const key = `photos/img-${String(index).padStart(4, '0')}${index % 100 === 7 ? '-denied' : ''}.jpg`;
  const kind = index % 10;
  const labels = kind === 0 ? [label('Explicit', 91), label('Explicit Nudity', 88, 'Explicit'), label('Exposed Female Nipple', 70, 'Explicit Nudity', 3)]
    : kind === 1 ? [label('Violence', 72), label('Graphic Violence', 66, 'Violence'), label('Blood & Gore', 61, 'Graphic Violence', 3)]
      : kind === 2 ? [label('Violence', 55)]
        : kind === 3 ? [label('Alcohol', 60), label('Alcoholic Beverages', 58, 'Alcohol')]
          : kind === 4 ? [label('Explicit', 75)]
            : [];
  const ownTags = index % 50 === 0 ? 8 : index % 97 === 3 ? 9 : index % 3 === 0 ? 2 : 0;
  const exists = index % 100 !== 11;
  const denied = key.includes('-denied');
  const status = kind === 0 ? 'quarantined' : kind === 1 || kind === 3 ? 'flagged' : 'clean';
  const failure = !exists ? 'OBJECT_GONE' : denied ? 'ACCESS_DENIED' : ownTags === 9 ? 'TAG_LIMIT' : undefined;
  // Exposed Female Nipple (70) is below the Explicit rule's 80 that governs it.
  const labelsValue = kind === 0 ? 'Explicit/Explicit Nudity'
    : kind === 1 ? 'Violence/Graphic Violence/Blood and Gore'
      : kind === 3 ? 'Alcohol/Alcoholic Beverages' : undefined;
  return {
    index, key, labels, ownTags, exists, denied,
    expected: { status, event: kind === 0 || kind === 1, failure, labelsDropped: ownTags === 8 && labelsValue !== undefined && !failure, labels: labelsValue },
  };
}

export function ownTagSet(count: number): Array<{ Key: string; Value: string }> {
  return Array.from({ length: count }, (_, i) => ({ Key: `app:tag-${i}`, Value: `value-${i}` }));
}

/** A client for s3rver that does not retry, so the tests see each fault they inject. */
export function noRetryS3Client(url: string): S3Client {
  return localS3Client(url, { maxAttempts: 1 });
}

/** Uploads the images (with their own tags) and the results file; returns the specs. */
export async function seed(s3: S3Client, count: number, resultsKey: string): Promise<ImageSpec[]> {
  const specs = Array.from({ length: count }, (_, i) => imageSpec(i));
  await s3.send(new CreateBucketCommand({ Bucket: IMAGES })).catch(() => undefined);
  for (let start = 0; start < specs.length; start += 50) {
    await Promise.all(specs.slice(start, start + 50).filter((spec) => spec.exists).map(async (spec) => {
      await s3.send(new PutObjectCommand({ Bucket: IMAGES, Key: spec.key, Body: 'jpeg' }));
      if (spec.ownTags > 0) {
        await s3.send(new PutObjectTaggingCommand({ Bucket: IMAGES, Key: spec.key, Tagging: { TagSet: ownTagSet(spec.ownTags) } }));
      }
    }));
  }
  const lines = specs.map((spec) => resultLine(`s3://${IMAGES}/${spec.key}`, spec.labels));
  // An image Rekognition could not analyse and a line that is not JSON: neither is actioned.
  lines.splice(5, 0, resultLine(`s3://${IMAGES}/photos/unanalysed.jpg`, null));
  lines.splice(9, 0, '{not json');
  await s3.send(new PutObjectCommand({ Bucket: OUTPUT, Key: resultsKey, Body: `${lines.join('\n')}\n` }));
  return specs;
}

/** The tracking state after the tracker: a SUCCEEDED detail naming the results. */
export function trackedState(token: string, prefix: string, resultsKey: string): TrackingWorkflowState {
  const detail = {
    version: '1', pipeline: 'Stack/Pipeline', engine: 'bulk', fallbackReason: null, jobId: 'job-1', jobName: 'job', token,
    status: 'SUCCEEDED', manifest: { bucket: MANIFESTS, key: 'manifests/batch.jsonl', version: 'v1' }, failure: null,
    output: { bucket: OUTPUT, prefix, results: `s3://${OUTPUT}/${resultsKey}`, summary: null, flaggedImages: null, errorReport: null },
    statistics: null, moderation: null, timing: { createdAt: null, completedAt: null, durationSeconds: null },
  } satisfies CompletionEventDetail;
  return {
    token, engine: 'bulk', manifest: detail.manifest as any, jobName: 'job', jobId: 'job-1', output: { bucket: OUTPUT, prefix },
    step: { done: true, status: 'SUCCEEDED', detail },
  };
}

/** An EventBridge double: records every accepted entry; `failEntries` makes it refuse some. */
export class EventsDouble {
  public readonly accepted: PutEventsRequestEntry[] = [];
  public calls = 0;
  /** Called per entry; true refuses it with ThrottlingException. */
  public refuse: (entry: PutEventsRequestEntry, call: number) => boolean = () => false;

  public readonly client = {
    send: async (command: PutEventsCommand) => {
      this.calls += 1;
      const entries = command.input.Entries ?? [];
      if (entries.length > 10) throw new Error('PutEvents takes at most 10 entries');
      const answers = entries.map((entry) => {
        if (this.refuse(entry, this.calls)) return { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' };
        this.accepted.push(entry);
        return { EventId: `e-${this.accepted.length}` };
      });
      return { FailedEntryCount: answers.filter((answer) => 'ErrorCode' in answer).length, Entries: answers };
    },
  } as unknown as EventBridgeClient;

  public details(): ImageFlaggedDetail[] {
    return this.accepted.map((entry) => JSON.parse(entry.Detail!));
  }
}

/**
 * An S3 client whose tagging requests go to the local server, with the faults of a real bucket the
 * server cannot play: AccessDenied on `-denied` keys, and any fault a test injects.
 */
export function faultyS3(s3: S3Client, inject: (command: any, counts: Map<string, number>) => void = () => undefined): { client: S3Client; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  const client = {
    send: async (command: any) => {
      const name: string = command.constructor.name;
      counts.set(name, (counts.get(name) ?? 0) + 1);
      inject(command, counts);
      if (name.includes('Tagging') && String(command.input.Key).includes('-denied')) {
        throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 } });
      }
      return s3.send(command);
    },
  } as unknown as S3Client;
  return { client, counts };
}

/**
 * Runs the step as the workflow does: again while it answers actionsComplete false, and again
 * after a retryable error (the workflow's Retry). Other errors propagate.
 */
export async function runLikeTheWorkflow(state: TrackingWorkflowState, deps: ActionsDependencies, maxInvocations = 100): Promise<{ step: ActionsStep; invocations: number }> {
  for (let invocation = 1; invocation <= maxInvocations; invocation++) {
    try {
      const step = await applyActions(state, deps);
      if (step.actionsComplete) return { step, invocations: invocation };
    } catch (error) {
      if (!isRetryable(error)) throw error;
    }
  }
  throw new Error(`actions not complete after ${maxInvocations} invocations`);
}

/** A local S3 server with the output and manifest buckets for the tests of one file: `client` is set once it runs. */
export function useLocalS3(): { client: S3Client } {
  const local = {} as { client: S3Client; server?: LocalS3 };
  beforeAll(async () => {
    Object.assign(process.env, LOCAL_S3_CLIENT_ENV);
    local.server = await startLocalS3([OUTPUT, MANIFESTS]);
    local.client = noRetryS3Client(local.server.url);
  }, 60_000);
  afterAll(async () => {
    local.client?.destroy();
    await local.server?.stop();
  });
  return local;
}
