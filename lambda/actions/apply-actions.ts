import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import {
  ActionFailureCode,
  type ActionsSettings,
  type ActionsStep,
  IMAGE_FLAGGED_DETAIL_VERSION,
  type ImageFlaggedDetail,
  ModerationStatus,
} from '../../lib/actions/actions-contract';
import { type S3Location, s3Uri } from '../../lib/common/contract/s3-location';
import type { CompletionEventDetail } from '../../lib/events/completion-event-contract';
import type { TrackingWorkflowState } from '../../lib/tracking/tracking-contract';
import { openObject, readResultLines, type ResultLine } from '../common/job-results';
import { logger } from '../common/log';
import { DEFAULT_EVENT_RETRY, publishImageEvents, type RetryOptions } from './event-publisher';
import { tagImage } from './image-tagger';
import { type ImageVersions, readImageVersions } from './image-versions';
import { type ImageVerdict, evaluateImage } from './policy-evaluation';
import { type ActionFailure, actionsFiles, type Checkpoint, readCheckpoint, reportDocument, writeJson } from './progress-files';

/** Images tagged at once: S3 allows 3,500 writes a second per prefix, far above this. */
export const CHUNK_SIZE = 25;

/** Time kept back before the function's timeout to finish a chunk and save the checkpoint. */
export const STOP_BEFORE_TIMEOUT_MS = 60_000;

/** ActionsDependencies plus the versions the manifest's images were moderated at. */
interface RunDependencies extends ActionsDependencies {
  readonly versions: ImageVersions;
}

export interface ActionsDependencies {
  readonly s3: S3Client;
  readonly events: EventBridgeClient;
  readonly settings: ActionsSettings;
  /** Milliseconds left in this invocation. */
  readonly remainingMs: () => number;
  readonly chunkSize?: number;
  readonly eventRetry?: RetryOptions;
}

type AnalyzedLine = Extract<ResultLine, { kind: 'analyzed' }>;

/**
 * Applies the policy to every image of a finished job's results, streaming the results file in
 * chunks: per chunk, tags first (idempotent: an object carrying this job's token is skipped),
 * then the chunk's events, then the checkpoint. A crash or a timeout resumes at the checkpoint,
 * so only events published after the last checkpoint can be sent twice, with the same eventId.
 */
export async function applyActions(state: TrackingWorkflowState, deps: ActionsDependencies): Promise<ActionsStep> {
  const step = state.step ?? { done: true, status: 'UNKNOWN' };
  const detail = step.detail;
  const results = detail?.status === 'SUCCEEDED' ? parseS3Uri(detail.output.results) : undefined;
  if (!detail || !results) {
    return { ...step, actionsComplete: true };
  }
  const files = actionsFiles(detail.output);
  const checkpoint = await readCheckpoint(deps.s3, files.checkpoint, detail.token);
  if (!checkpoint.complete) {
    const versions = await readImageVersions(deps.s3, detail.manifest);
    const finished = await runFrom(checkpoint, results, detail, { ...deps, versions }, files.checkpoint);
    if (!finished) {
      return { ...step, actionsComplete: false };
    }
    checkpoint.complete = true;
    await writeJson(deps.s3, files.report, reportDocument(checkpoint, { jobId: detail.jobId, results: s3Uri(results) }, files.report), deps.settings.kmsKeyId);
    await writeJson(deps.s3, files.checkpoint, checkpoint, deps.settings.kmsKeyId);
  }
  return { ...step, detail: { ...detail, actions: { ...checkpoint.counts, report: s3Uri(files.report) } }, actionsComplete: true };
}

/** Works through the results from the checkpoint; false when the time budget ran out first. */
async function runFrom(
  checkpoint: Checkpoint,
  results: S3Location,
  detail: CompletionEventDetail,
  deps: RunDependencies,
  checkpointAt: S3Location,
): Promise<boolean> {
  const chunkSize = deps.chunkSize ?? CHUNK_SIZE;
  const published = new Set<string>();
  let chunk: AnalyzedLine[] = [];
  let lastLine = checkpoint.nextLine - 1;
  const flush = async () => {
    const events = await processChunk(chunk, checkpoint, detail, deps, published);
    chunk = [];
    checkpoint.nextLine = lastLine + 1;
    if (events > 0) await writeJson(deps.s3, checkpointAt, checkpoint, deps.settings.kmsKeyId);
  };

  const body = await openObject(deps.s3, results);
  for await (const line of readResultLines(body, results)) {
    if (line.lineNumber < checkpoint.nextLine) continue;
    lastLine = line.lineNumber;
    if (line.kind === 'analyzed') chunk.push(line);
    if (chunk.length >= chunkSize) {
      await flush();
      if (deps.remainingMs() < STOP_BEFORE_TIMEOUT_MS) {
        await writeJson(deps.s3, checkpointAt, checkpoint, deps.settings.kmsKeyId);
        logger.info('Time budget spent; the workflow resumes the actions', { token: detail.token, nextLine: checkpoint.nextLine });
        return false;
      }
    }
  }
  await flush();
  return true;
}

/** Tags a chunk's images in parallel, then publishes its events; returns the events published. */
async function processChunk(
  lines: readonly AnalyzedLine[],
  checkpoint: Checkpoint,
  detail: CompletionEventDetail,
  deps: RunDependencies,
  published: Set<string>,
): Promise<number> {
  const { counts } = checkpoint;
  const items = lines.map((line) => ({ line, image: moderatedImage(line.sourceRef, deps.versions), verdict: evaluateImage(line.labels, deps.settings.policy) }));
  await Promise.all(items.map(async ({ line, image, verdict }) => {
    counts.imagesEvaluated += 1;
    if (verdict.status !== ModerationStatus.CLEAN) counts.imagesFlagged += 1;
    if (verdict.status === ModerationStatus.QUARANTINED) counts.imagesQuarantined += 1;
    if (!image) {
      recordFailure(checkpoint.failures, counts, line, null, ActionFailureCode.BAD_SOURCE_REF, 'source-ref is not an s3://bucket/key URI');
      return;
    }
    if (!verdict.tag) return;
    const outcome = await tagImage(deps.s3, image, verdict.status, detail.token, verdict.matched);
    if (outcome.kind === 'failed') {
      recordFailure(checkpoint.failures, counts, line, image, outcome.code, outcome.message);
    } else {
      if (outcome.kind === 'alreadyDone') counts.alreadyDone += 1;
      else counts.tagged += 1;
      // Counted for an image found done too: after a resume it was tagged by an invocation whose counts were lost.
      if (outcome.currentVersion !== undefined) {
        counts.versionNotCurrent += 1;
        checkpoint.versionNotCurrent.push(failureEntry(line, image, ActionFailureCode.VERSION_NOT_CURRENT,
          `Version ${image.version} was moderated and actioned; version ${outcome.currentVersion} is current and was left unmoderated and untagged.`));
      }
      if (outcome.labelsDropped) {
        counts.labelsTagDropped += 1;
        checkpoint.labelsNotFitting.push(failureEntry(line, image, ActionFailureCode.TAG_LIMIT, 'moderation:labels left out: the object\'s own tags leave no room'));
      }
    }
  }));

  const details: ImageFlaggedDetail[] = [];
  for (const { image, verdict } of items) {
    if (!image || !verdict.event) continue;
    const event = imageFlaggedDetail(detail, image, verdict, deps.settings.pipelineId);
    if (published.has(event.eventId)) continue;
    published.add(event.eventId);
    details.push(event);
  }
  if (details.length === 0) return 0;
  counts.eventsPublished += await publishImageEvents(deps.events, details, deps.settings.eventBusName, deps.eventRetry ?? DEFAULT_EVENT_RETRY);
  return details.length;
}

export function imageFlaggedDetail(detail: CompletionEventDetail, image: S3Location, verdict: ImageVerdict, pipelineId: string | undefined): ImageFlaggedDetail {
  const labels = verdict.matched.slice(0, 20);
  return {
    version: IMAGE_FLAGGED_DETAIL_VERSION,
    eventId: createHash('sha256').update([detail.token, image.bucket, image.key, image.version ?? ''].join('\n')).digest('hex'),
    pipeline: pipelineId ?? null,
    token: detail.token,
    jobId: detail.jobId,
    image: { bucket: image.bucket, key: image.key, version: image.version ?? null },
    status: verdict.status === ModerationStatus.QUARANTINED ? ModerationStatus.QUARANTINED : ModerationStatus.FLAGGED,
    actions: verdict.actions,
    labelNames: [...new Set(labels.flatMap((label) => (label.rule === '*' ? [label.name] : [label.name, label.rule])))],
    labels,
    manifest: detail.manifest,
  };
}

function recordFailure(failures: ActionFailure[], counts: Checkpoint['counts'], line: AnalyzedLine, image: S3Location | null, code: string, message: string): void {
  counts.failed += 1;
  failures.push(failureEntry(line, image, code, message));
}

function failureEntry(line: AnalyzedLine, image: S3Location | null, code: string, message: string): ActionFailure {
  return {
    line: line.lineNumber,
    sourceRef: line.sourceRef,
    image: image && { bucket: image.bucket, key: image.key, version: image.version ?? null },
    code,
    message,
  };
}

/** The image a result line names, at the version it was moderated at when the image-versions file says. */
function moderatedImage(sourceRef: string | null, versions: ImageVersions): S3Location | undefined {
  const image = parseS3Uri(sourceRef);
  const version = sourceRef === null ? undefined : versions.get(sourceRef);
  return image && version !== undefined ? { ...image, version } : image;
}

/** `s3://bucket/key` -> its location; undefined for anything else. */
export function parseS3Uri(uri: string | null | undefined): S3Location | undefined {
  const match = typeof uri === 'string' ? /^s3:\/\/([^/]+)\/(.+)$/.exec(uri) : null;
  return match ? { bucket: match[1], key: match[2] } : undefined;
}
