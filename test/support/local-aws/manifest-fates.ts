import type { LocalPipeline } from './local-pipeline';
import type { QueuedMessage } from './local-queue';
import type { StartedExecution } from './sqs-and-sfn-double';

/**
 * Where an uploaded manifest ended up. Exactly one of these must hold for every manifest that
 * raised an event, or the manifest is lost:
 * - job: Rekognition has a job for it and its tracking execution was started;
 * - rejected: no job, an error report was written and a tracking execution (startFailure) was
 *   started, so a FAILED completion event follows;
 * - deferred: its message is still on the manifest queue, hidden for a retry;
 * - waiting: its message waits in the backlog for its turn (a free job slot, the start rate);
 * - dead-lettered: its message was forwarded to the dead-letter queue.
 */
export type ManifestFate =
  | { readonly kind: 'job'; readonly jobIds: string[]; readonly execution: StartedExecution }
  | { readonly kind: 'rejected'; readonly code: string; readonly errorReport: string; readonly execution: StartedExecution }
  | { readonly kind: 'deferred'; readonly message: QueuedMessage }
  | { readonly kind: 'waiting'; readonly message: QueuedMessage }
  | { readonly kind: 'dead-lettered'; readonly message: QueuedMessage };

export function fatesOf(local: LocalPipeline, key: string, version?: string): ManifestFate[] {
  const fates: ManifestFate[] = [];
  const matches = (manifest: { key: string; version?: string | null }) => manifest.key === key && (version === undefined || manifest.version === version);
  for (const execution of local.aws.executions.filter((candidate) => matches(candidate.input.manifest))) {
    const { input } = execution;
    if (input.startFailure) {
      fates.push({ kind: 'rejected', code: input.startFailure.code, errorReport: input.startFailure.errorReport, execution });
    } else {
      const jobIds = local.rekognition.jobs.all()
        .filter((job) => job.Input.S3Object.Name === key && (version === undefined || job.Input.S3Object.Version === version))
        .map((job) => job.JobId);
      fates.push({ kind: 'job', jobIds, execution });
    }
  }
  for (const message of local.queue.messages.filter((candidate) => namesManifest(candidate, key, version))) {
    fates.push({ kind: 'deferred', message });
  }
  for (const message of (local.backlog?.messages ?? []).filter((candidate) => namesManifest(candidate, key, version))) {
    fates.push({ kind: 'waiting', message });
  }
  for (const message of local.deadLetterQueue.messages.filter((candidate) => namesManifest(candidate, key, version))) {
    fates.push({ kind: 'dead-lettered', message });
  }
  return fates;
}

/** The manifest's one fate; fails the test when it has none (lost) or several. */
export function fateOf(local: LocalPipeline, key: string, version?: string): ManifestFate {
  const fates = fatesOf(local, key, version);
  if (fates.length !== 1) {
    throw new Error(`manifest ${JSON.stringify(key)} has ${fates.length} fates (${fates.map((fate) => fate.kind).join(', ') || 'lost'}); expected exactly one`);
  }
  return fates[0];
}

function namesManifest(message: QueuedMessage, key: string, version?: string): boolean {
  try {
    const records: any[] = JSON.parse(message.body).Records ?? [];
    return records.some((record) => {
      const object = record?.s3?.object ?? {};
      return decodeURIComponent(String(object.key).replace(/\+/g, ' ')) === key && (version === undefined || object.versionId === version);
    });
  } catch {
    return false;
  }
}
