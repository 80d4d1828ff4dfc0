import { CreateBucketCommand, GetObjectCommand, ListObjectVersionsCommand, type ListObjectVersionsCommandOutput, PutObjectCommand, GetObjectTaggingCommand, PutBucketPolicyCommand, PutBucketVersioningCommand, PutObjectTaggingCommand, type S3Client } from '@aws-sdk/client-s3';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ModerationAction, ModerationPipeline, ModerationPolicy, ModerationRule } from '../../../lib';
import { ActionsEnvironment } from '../../../lib/actions/actions-contract';
import { IMAGES, type ImageSpec, imageSpec, MIXED_POLICY, OUTPUT, seed, trackedState } from '../../support/actions/actions-fixture';
import { handlerBundle, runBundledHandler } from '../../support/bundled-handler';
import { type JsonProtocolDouble, startJsonProtocolDouble } from '../../support/json-protocol-double';
import { type CephRgw, rgwClient, startCephRgw } from '../../support/local-aws/ceph-rgw';
import { localValues, resolveValue } from '../../support/local-aws/template-values';
import { logicalId } from '../../support/synth-helpers';

// Quarantine enforced by a real S3 server: Ceph RADOS Gateway 16.2 evaluates bucket policies with
// s3:ExistingObjectTag conditions (s3rver ignores policies). The shipped actions bundle tags 1,000
// images of a versioned bucket with the shared mixed policy; the bucket carries the Deny statement
// the construct synthesizes; a reader, a reviewer and the bundle's owner are separate RGW users.

const IMAGE_COUNT = 1_000;
const TOKEN = 'e'.repeat(64);
const PREFIX = 'results/rgw/eeeeeeeeeeee';
const RESULTS_KEY = `${PREFIX}/job-1/results/output.jsonl`;

let rgw: CephRgw;
let events: JsonProtocolDouble;
let owner: S3Client;
let reader: S3Client;
let reviewer: S3Client;

beforeAll(async () => {
  events = await startJsonProtocolDouble({ 'AWSEvents.PutEvents': (body: any) => ({ FailedEntryCount: 0, Entries: body.Entries.map((_: unknown, i: number) => ({ EventId: `e-${i}` })) }) });
  // Without Ceph this throws, and the test fails saying how to install it.
  rgw = await startCephRgw();
  [owner, reader, reviewer] = [rgw.owner, rgw.reader, rgw.reviewer].map((user) => rgwClient(rgw, user));
  await owner.send(new CreateBucketCommand({ Bucket: IMAGES }));
  await owner.send(new PutBucketVersioningCommand({ Bucket: IMAGES, VersioningConfiguration: { Status: 'Enabled' } }));
  await owner.send(new CreateBucketCommand({ Bucket: OUTPUT }));
}, 180_000);

afterAll(async () => {
  for (const client of [owner, reader, reviewer]) client?.destroy();
  await Promise.all([rgw?.stop(), events?.stop()]);
}, 30_000);

test('the shipped bundle quarantines 1,000 images of a versioned bucket; the synthesized Deny keeps the reader off exactly those versions, the reviewer reads them, a release lifts it', async () => {
  // GIVEN the images (one version each), the results of a job, and the synthesized quarantine statement on the bucket
  // (the first ones also have an older version, which the job did not see)
  const withOlder = Array.from({ length: 30 }, (_, index) => imageSpec(index)).filter((spec) => spec.exists);
  await mapLimited(withOlder, (spec) => owner.send(new PutObjectCommand({ Bucket: IMAGES, Key: spec.key, Body: 'older' })));
  const specs = await seed(owner, IMAGE_COUNT, RESULTS_KEY);
  const { current: versions, older } = await listVersions();
  expect(versions.size).toBe(specs.filter((spec) => spec.exists).length);
  expect(older.size).toBe(withOlder.length);
  const deny = synthesizedQuarantineStatement(rgw.reviewer.arn);
  await putPolicy([forRgw(deny), readersAllowed()]);

  // WHEN the shipped bundle applies the mixed policy with the owner's credentials
  // The manifest lives in the output bucket here (RGW refuses the fixture's 2-letter bucket name);
  // the handler looks beside it for an image-versions file and finds none: current versions are tagged.
  const state = trackedState(TOKEN, PREFIX, RESULTS_KEY);
  const manifest = { ...state.manifest, bucket: OUTPUT };
  const inOutputBucket = { ...state, manifest, step: { ...state.step!, detail: { ...state.step!.detail!, manifest } } };
  const run = await runBundledHandler(handlerBundle('actions'), inOutputBucket, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: rgw.owner.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: rgw.owner.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_S3: rgw.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: events.url,
    S3_FORCE_PATH_STYLE: 'true',
    [ActionsEnvironment.POLICY]: JSON.stringify(MIXED_POLICY),
    [ActionsEnvironment.PIPELINE_ID]: 'Stack/Pipeline',
    [ActionsEnvironment.EVENT_BUS_NAME]: 'moderation-bus',
  });

  // THEN every tagged image carries its status on the version that was current, the others none
  expect({ exitCode: run.exitCode, error: run.response?.error }).toEqual({ exitCode: 0, error: undefined });
  expect(run.response.actionsComplete).toBe(true);
  const tagged = specs.filter((spec) => spec.exists && spec.ownTags !== 9);
  const statuses = await mapLimited(tagged, async (spec) => statusTag(spec.key, versions.get(spec.key)!));
  expect(statuses).toEqual(tagged.map((spec) => spec.expected.status));
  expect(await mapLimited([...older], async ([key, versionId]) => statusTag(key, versionId))).toEqual([...older].map(() => undefined));
  const quarantined = tagged.filter(isQuarantined);
  expect(quarantined.length).toBeGreaterThanOrEqual(90);

  // the reader is denied every quarantined version (by version id and as the current object) and reads every other image
  const readerSees = await mapLimited(tagged, async (spec) => readable(reader, spec.key, versions.get(spec.key)));
  expect(readerSees).toEqual(tagged.map((spec) => !isQuarantined(spec)));
  expect(await mapLimited(quarantined, async (spec) => readable(reader, spec.key))).toEqual(quarantined.map(() => false));
  // the reviewer reads the quarantined ones; the owner (the pipeline) is under the Deny like everyone else
  expect(await mapLimited(quarantined, async (spec) => readable(reviewer, spec.key, versions.get(spec.key)))).toEqual(quarantined.map(() => true));
  const quarantinedSample = quarantined[0];
  expect(await readable(owner, quarantinedSample.key)).toBe(false);

  // (why the translation: RGW 16.2 does not set aws:PrincipalArn and takes a condition on an absent
  // key as false, so there the statement as synthesized denies nobody; AWS sets the key on every request)
  await putPolicy([deny, readersAllowed()]);
  expect(await readable(reader, quarantinedSample.key)).toBe(true);
  await putPolicy([forRgw(deny), readersAllowed()]);
  expect(await readable(reader, quarantinedSample.key)).toBe(false);

  // WHEN the reviewer releases one image with the README's command (status and token, current version)
  await reviewer.send(new PutObjectTaggingCommand({
    Bucket: IMAGES, Key: quarantinedSample.key,
    Tagging: { TagSet: [{ Key: 'moderation:status', Value: 'released' }, { Key: 'moderation:token', Value: TOKEN }] },
  }));

  // THEN the reader reads it, and only it
  expect(await readable(reader, quarantinedSample.key, versions.get(quarantinedSample.key))).toBe(true);
  expect(await readable(reader, quarantined[1].key)).toBe(false);
}, 300_000);

function isQuarantined(spec: ImageSpec): boolean {
  return spec.exists && spec.ownTags !== 9 && spec.expected.status === 'quarantined';
}

/**
 * The Deny the construct puts on its input bucket, with a reviewer exempted, resolved to the RGW
 * bucket and reviewer. Only this statement: the bucket's other ones (TLS only, access-log delivery)
 * have nothing to act on over plain HTTP on 127.0.0.1.
 */
function synthesizedQuarantineStatement(reviewerArn: string): any {
  const stack = new Stack(new App(), 'Stack');
  const pipeline = new ModerationPipeline(stack, 'Pipeline', {
    policy: ModerationPolicy.of({ rules: [ModerationRule.label('Explicit', { minConfidence: 80, actions: [ModerationAction.QUARANTINE, ModerationAction.EVENT] })] }),
  });
  const reviewerUser = new iam.User(stack, 'Reviewer');
  pipeline.grantReviewQuarantined(reviewerUser);
  const template = Template.fromStack(stack).toJSON();
  const bucket = logicalId(pipeline.inputBucket);
  const policy = Object.values<any>(template.Resources).find((resource) => resource.Type === 'AWS::S3::BucketPolicy' && resource.Properties.Bucket.Ref === bucket);
  const statement = policy.Properties.PolicyDocument.Statement.find((candidate: any) => candidate.Sid === 'DenyReadingQuarantinedImages');
  const values = localValues(template, {
    refs: { [bucket]: IMAGES },
    attributes: { [`${bucket}.Arn`]: `arn:aws:s3:::${IMAGES}`, [`${logicalId(reviewerUser)}.Arn`]: reviewerArn },
  });
  return resolveValue(statement, values);
}

/**
 * The same statement in terms RGW 16.2 evaluates: the reviewers of `ArnNotLike aws:PrincipalArn`
 * become a NotPrincipal (for IAM users the two mean the same; on AWS the construct keeps the
 * condition, which also covers role sessions). Nothing else changes.
 */
function forRgw(statement: any): any {
  const { Principal, Condition: { ArnNotLike, ...condition }, ...rest } = statement;
  expect(Principal).toEqual({ AWS: '*' });
  expect(Object.keys(ArnNotLike)).toEqual(['aws:PrincipalArn']);
  return { ...rest, NotPrincipal: { AWS: ArnNotLike['aws:PrincipalArn'] }, Condition: condition };
}

/** Stands in for the identity policies that let the reader and the reviewer read images on AWS (RGW users have none). */
function readersAllowed(): any {
  return {
    Sid: 'ReadersAndReviewers', Effect: 'Allow',
    Principal: { AWS: [rgw.reader.arn, rgw.reviewer.arn] },
    Action: ['s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectTagging', 's3:PutObjectTagging'],
    Resource: `arn:aws:s3:::${IMAGES}/*`,
  };
}

async function putPolicy(statements: any[]): Promise<void> {
  await owner.send(new PutBucketPolicyCommand({ Bucket: IMAGES, Policy: JSON.stringify({ Version: '2012-10-17', Statement: statements }) }));
}

async function readable(client: S3Client, key: string, versionId?: string): Promise<boolean> {
  try {
    const object = await client.send(new GetObjectCommand({ Bucket: IMAGES, Key: key, VersionId: versionId }));
    await object.Body!.transformToString();
    return true;
  } catch (error) {
    if ((error as Error).name === 'AccessDenied') return false;
    throw error;
  }
}

/** Current and older versions of every image, from ListObjectVersions. */
async function listVersions(): Promise<{ current: Map<string, string>; older: Map<string, string> }> {
  const current = new Map<string, string>();
  const older = new Map<string, string>();
  let page: ListObjectVersionsCommandOutput | undefined;
  do {
    page = await owner.send(new ListObjectVersionsCommand({ Bucket: IMAGES, KeyMarker: page?.NextKeyMarker, VersionIdMarker: page?.NextVersionIdMarker }));
    for (const version of page.Versions ?? []) (version.IsLatest ? current : older).set(version.Key!, version.VersionId!);
  } while (page.IsTruncated);
  return { current, older };
}

async function statusTag(key: string, versionId: string): Promise<string | undefined> {
  const { TagSet } = await owner.send(new GetObjectTaggingCommand({ Bucket: IMAGES, Key: key, VersionId: versionId }));
  return TagSet?.find((tag) => tag.Key === 'moderation:status')?.Value;
}

async function mapLimited<T, R>(items: T[], work: (item: T) => Promise<R>, limit = 32): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]);
    }
  }));
  return results;
}
