import { GetObjectTaggingCommand, type S3Client } from '@aws-sdk/client-s3';
import { ActionsEnvironment, IMAGE_FLAGGED_DETAIL_TYPE } from '../../../lib/actions/actions-contract';
import { IMAGES, MANIFESTS, noRetryS3Client, OUTPUT, seed, SETTINGS, trackedState } from '../../support/actions/actions-fixture';
import { imageEventSchemaErrors } from '../../support/actions/image-event-schema';
import { handlerBundle, runBundledHandler } from '../../support/bundled-handler';
import { schemaErrors } from '../../support/event-schema';
import { awsError, type JsonProtocolDouble, startJsonProtocolDouble } from '../../support/json-protocol-double';
import { LOCAL_S3_CLIENT_ENV, LOCAL_S3_CREDENTIALS, type LocalS3, startLocalS3 } from '../../support/local-s3';

// The bundle as shipped (assets/actions), run by Node with the real SDK clients against a local S3
// server (s3rver: object tagging, no versioning) and a local EventBridge (JSON protocol double).

const PUT_EVENTS = 'AWSEvents.PutEvents';

let server: LocalS3;
let events: JsonProtocolDouble;
let s3: S3Client;
let env: Record<string, string>;

beforeAll(async () => {
  [server, events] = await Promise.all([startLocalS3([OUTPUT, MANIFESTS]), startJsonProtocolDouble()]);
  s3 = noRetryS3Client(server.url);
  env = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_S3: server.url,
    AWS_ENDPOINT_URL_EVENTBRIDGE: events.url,
    S3_FORCE_PATH_STYLE: 'true',
    ...LOCAL_S3_CLIENT_ENV,
    [ActionsEnvironment.POLICY]: JSON.stringify(SETTINGS.policy),
    [ActionsEnvironment.PIPELINE_ID]: SETTINGS.pipelineId!,
    [ActionsEnvironment.EVENT_BUS_NAME]: SETTINGS.eventBusName!,
  };
}, 60_000);

afterAll(async () => {
  s3?.destroy();
  await Promise.all([server?.stop(), events?.stop()]);
});

test('the shipped bundle tags, publishes (retrying a throttled call) and answers a detail both schemas accept', async () => {
  const token = 'd'.repeat(64);
  const prefix = 'results/bundled/dddddddddddd';
  const resultsKey = `${prefix}/job-1/results/output.jsonl`;
  const specs = await seed(s3, 60, resultsKey);
  let accepted = 0;
  events.handle(PUT_EVENTS, (() => {
    let calls = 0;
    return (body: any) => {
      calls += 1;
      if (calls === 1) throw awsError('ThrottlingException', 'Rate exceeded', 400);
      accepted += body.Entries.length;
      return { FailedEntryCount: 0, Entries: body.Entries.map((_: unknown, i: number) => ({ EventId: `e-${calls}-${i}` })) };
    };
  })());

  const run = await runBundledHandler(handlerBundle('actions'), trackedState(token, prefix, resultsKey), env);

  expect(run.exitCode).toBe(0);
  expect(run.response.actionsComplete).toBe(true);
  const detail = run.response.detail;
  expect(schemaErrors(detail)).toEqual([]);
  expect(detail.actions).toMatchObject({ imagesEvaluated: 60, eventsPublished: specs.filter((spec) => spec.expected.event).length });
  const sent = events.requestsFor(PUT_EVENTS).flatMap((request) => request.body.Entries);
  expect(accepted).toBe(specs.filter((spec) => spec.expected.event).length);
  for (const entry of sent) {
    expect(entry.DetailType).toBe(IMAGE_FLAGGED_DETAIL_TYPE);
    expect(imageEventSchemaErrors(JSON.parse(entry.Detail))).toEqual([]);
  }
  const tagged = specs.find((spec) => spec.expected.status === 'quarantined' && !spec.expected.failure && !spec.expected.labelsDropped)!;
  const { TagSet } = await s3.send(new GetObjectTaggingCommand({ Bucket: IMAGES, Key: tagged.key }));
  expect(TagSet).toEqual(expect.arrayContaining([{ Key: 'moderation:status', Value: 'quarantined' }, { Key: 'moderation:token', Value: token }]));
  expect(run.logs).toContainEqual(expect.objectContaining({ message: 'Moderation actions applied', complete: true, token }));
}, 60_000);
