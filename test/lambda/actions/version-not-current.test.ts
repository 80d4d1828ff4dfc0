import { GetObjectCommand, GetObjectTaggingCommand, PutObjectCommand, PutObjectTaggingCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { applyActions } from '../../../lambda/actions/apply-actions';
import { EventsDouble, MANIFESTS, OUTPUT, SETTINGS, trackedState } from '../../support/actions/actions-fixture';
import { label, resultLine, resultsFile, s3Body } from '../../support/result-fixtures';

// The version logic against a mocked S3 (the local S3 servers of the other tests have no
// versioning): which version is tagged, and what is reported, when the manifest's
// image-versions file names the versions moderated.

const s3 = mockClient(S3Client);
const token = 'e'.repeat(64);
const prefix = 'results/versions/eeeeeeeeeeee';
const resultsKey = `${prefix}/job-1/results/output.jsonl`;
const versionsKey = 'manifests/batch.jsonl.image-versions.json';

/** key -> current version id (absent: unversioned). */
let current: Record<string, string | undefined>;
let versionsFile: string | undefined;

function notFound(name: string): S3ServiceException {
  return new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 404 }, message: name });
}

beforeEach(() => {
  s3.reset();
  current = { 'same.jpg': 'v1', 'newer.jpg': 'v2', 'unlisted.jpg': 'v9' };
  versionsFile = JSON.stringify({
    version: '1',
    manifest: `s3://${MANIFESTS}/manifests/batch.jsonl`,
    images: { 's3://images/same.jpg': 'v1', 's3://images/newer.jpg': 'v1' },
  });
  s3.on(GetObjectCommand).callsFake(({ Bucket, Key }) => {
    if (Bucket === OUTPUT && Key === resultsKey) {
      return { Body: s3Body(resultsFile(['same.jpg', 'newer.jpg', 'unlisted.jpg'].map((key) => resultLine(`s3://images/${key}`, [label('Explicit', 95)])))) };
    }
    if (Bucket === MANIFESTS && Key === versionsKey && versionsFile !== undefined) return { Body: s3Body(versionsFile) };
    throw notFound('NoSuchKey');
  });
  s3.on(GetObjectTaggingCommand).callsFake(({ Key, VersionId }) => ({ TagSet: [], VersionId: VersionId ?? current[Key] }));
  s3.on(PutObjectTaggingCommand).resolves({});
  s3.on(PutObjectCommand).resolves({});
});

async function run() {
  const events = new EventsDouble();
  const step = await applyActions(trackedState(token, prefix, resultsKey), {
    s3: s3 as unknown as S3Client, events: events.client as any, settings: SETTINGS, remainingMs: () => 600_000,
  });
  const puts = s3.commandCalls(PutObjectTaggingCommand).map((call) => [call.args[0].input.Key, call.args[0].input.VersionId]);
  const report = s3.commandCalls(PutObjectCommand).map((call) => JSON.parse(call.args[0].input.Body as string)).find((body) => body.failures !== undefined);
  return { step, puts, report, events };
}

test('tags the version moderated; a newer current version is left untagged and reported, never tagged', async () => {
  const { step, puts, report, events } = await run();

  expect(puts).toEqual(expect.arrayContaining([['same.jpg', 'v1'], ['newer.jpg', 'v1'], ['unlisted.jpg', undefined]]));
  expect(puts).toHaveLength(3);
  expect(puts).not.toContainEqual(['newer.jpg', 'v2']);
  expect(step.detail?.actions).toMatchObject({ tagged: 3, failed: 0, versionNotCurrent: 1 });
  expect(report.versionNotCurrent).toEqual([expect.objectContaining({
    sourceRef: 's3://images/newer.jpg',
    image: { bucket: 'images', key: 'newer.jpg', version: 'v1' },
    code: 'VERSION_NOT_CURRENT',
    message: expect.stringMatching(/version v2 is current and was left unmoderated and untagged/),
  })]);
  // The event names the version moderated.
  const versions = events.accepted.map((entry) => JSON.parse(entry.Detail!).image).sort((a, b) => a.key.localeCompare(b.key));
  expect(versions).toEqual([
    { bucket: 'images', key: 'newer.jpg', version: 'v1' },
    { bucket: 'images', key: 'same.jpg', version: 'v1' },
    { bucket: 'images', key: 'unlisted.jpg', version: null },
  ]);
});

test('the moderated version\'s own tags are merged, not the newer version\'s', async () => {
  s3.on(GetObjectTaggingCommand).callsFake(({ Key, VersionId }) => ({
    TagSet: [{ Key: 'owner', Value: VersionId === 'v1' ? 'old' : 'new' }],
    VersionId: VersionId ?? current[Key],
  }));
  await run();
  const newer = s3.commandCalls(PutObjectTaggingCommand).find((call) => call.args[0].input.Key === 'newer.jpg')!;
  expect(newer.args[0].input.Tagging?.TagSet).toContainEqual({ Key: 'owner', Value: 'old' });
});

test('without an image-versions file the current version is tagged, as before', async () => {
  versionsFile = undefined;
  const { puts, step } = await run();
  expect(puts).toEqual(expect.arrayContaining([['same.jpg', undefined], ['newer.jpg', undefined], ['unlisted.jpg', undefined]]));
  expect(step.detail?.actions).toMatchObject({ tagged: 3, versionNotCurrent: 0 });
});

test('an unreadable image-versions file is ignored (logged), a refused read fails the invocation for the workflow to retry', async () => {
  versionsFile = '{"version":"2"}';
  expect((await run()).step.detail?.actions).toMatchObject({ tagged: 3, versionNotCurrent: 0 });

  s3.on(GetObjectCommand, { Bucket: MANIFESTS }).rejects(new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'Access Denied' }));
  await expect(run()).rejects.toThrow(/Access Denied/);
});
