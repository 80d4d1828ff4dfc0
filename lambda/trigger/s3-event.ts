import { type S3Location } from '../../lib/common/contract/s3-location';

/** One uploaded manifest, as told by an S3 ObjectCreated notification. */
export interface ManifestEvent {
  readonly manifest: S3Location;
  /**
   * Identifies this upload of the key: 'v:' + versionId, else 's:' + sequencer, else 'e:' + eTag.
   * Duplicate deliveries of one event share it; a new upload gets a new one.
   */
  readonly revision: string;
  readonly eventName: string;
}

export type ParsedBody =
  | { readonly kind: 'manifests'; readonly manifests: readonly ManifestEvent[]; readonly ignored: readonly string[] }
  | { readonly kind: 'skip'; readonly reason: string };

/** Parses an SQS message body sent by an S3 event notification; never throws. */
export function parseS3EventBody(body: string): ParsedBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { kind: 'skip', reason: 'body is not JSON' };
  }
  if (!isObject(parsed)) {
    return { kind: 'skip', reason: 'body is not a JSON object' };
  }
  if (parsed.Event === 's3:TestEvent') {
    return { kind: 'skip', reason: 's3:TestEvent' };
  }
  if (!Array.isArray(parsed.Records)) {
    return { kind: 'skip', reason: 'body is not an S3 event notification (no Records)' };
  }

  const manifests: ManifestEvent[] = [];
  const ignored: string[] = [];
  for (const [index, record] of parsed.Records.entries()) {
    const result = parseRecord(record);
    if (typeof result === 'string') {
      ignored.push(`Records[${index}]: ${result}`);
    } else {
      manifests.push(result);
    }
  }
  if (manifests.length === 0) {
    return { kind: 'skip', reason: ignored.join('; ') || 'no Records' };
  }
  return { kind: 'manifests', manifests, ignored };
}

/** S3 event keys are URL-encoded with '+' for spaces. */
export function decodeS3Key(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

function parseRecord(record: unknown): ManifestEvent | string {
  if (!isObject(record) || record.eventSource !== 'aws:s3') {
    return 'not an S3 record';
  }
  const eventName = record.eventName;
  if (typeof eventName !== 'string' || !eventName.startsWith('ObjectCreated:')) {
    return `${String(eventName)} is not an ObjectCreated event`;
  }
  const s3 = isObject(record.s3) ? record.s3 : {};
  const bucket = isObject(s3.bucket) ? s3.bucket.name : undefined;
  const object = isObject(s3.object) ? s3.object : {};
  if (typeof bucket !== 'string' || typeof object.key !== 'string') {
    return 'no s3.bucket.name or s3.object.key';
  }
  let key: string;
  try {
    key = decodeS3Key(object.key);
  } catch {
    return `key ${JSON.stringify(object.key)} is not URL-encoded`;
  }

  // Suspended-versioning buckets report the literal version 'null' for every upload of a key:
  // treated as unversioned, so each upload gets its own revision from the sequencer.
  const version = nonEmpty(object.versionId) && object.versionId !== 'null' ? object.versionId : undefined;
  const revision = version !== undefined ? `v:${version}`
    : nonEmpty(object.sequencer) ? `s:${object.sequencer}`
    : nonEmpty(object.eTag) ? `e:${object.eTag}`
    : undefined;
  if (revision === undefined) {
    return 'no versionId, sequencer or eTag to tell this upload apart';
  }
  return { manifest: { bucket, key, ...(version !== undefined && { version }) }, revision, eventName };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}
