import type { S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { HandlerErrorName } from '../../../../lib/common/contract/error-names';
import { classifyError } from '../../../../lambda/common/errors';
import { interpretRecord, readResultFile, resultFiles } from '../../../../lambda/per-image/finalize/map-results';

const items = [{ line: 4, bucket: 'b', key: 'k.jpg', sourceRef: 's3://b/k.jpg' }, { line: 5, bucket: 'b', key: 'l.jpg', sourceRef: 's3://b/l.jpg' }];
const output = { results: [{ line: 4, labels: { ModerationLabels: [], ModerationModelVersion: '7.0', ContentTypes: [] } }] };

describe('interpretRecord (one child execution in the ResultWriter export)', () => {
  test('a COMPACT record is the batch output itself', () => {
    expect(interpretRecord(output)).toEqual({ kind: 'output', output });
    const spilled = { spilled: { bucket: 'r', key: 'x.jsonl' }, count: 50 };
    expect(interpretRecord(spilled)).toEqual({ kind: 'output', output: spilled });
  });

  test('a NONE record of a succeeded child carries the output as a JSON string', () => {
    expect(interpretRecord({ ExecutionArn: 'arn', Status: 'SUCCEEDED', Input: '{}', Output: JSON.stringify(output) })).toEqual({ kind: 'output', output });
  });

  test('a failed child names its lines through its input and says why', () => {
    const record = { Status: 'FAILED', Input: JSON.stringify({ Items: items, BatchInput: {} }), Error: 'Lambda.Unknown', Cause: 'The function timed out' };
    expect(interpretRecord(record)).toEqual({ kind: 'failed', items, failure: { code: 'BATCH_FAILED', message: 'Lambda.Unknown: The function timed out' } });
  });

  test('a failed child without its input still counts as a failure, with no lines', () => {
    expect(interpretRecord({ Status: 'TIMED_OUT', InputDetails: { Included: false } })).toEqual({ kind: 'failed', items: null, failure: { code: 'BATCH_FAILED', message: 'TIMED_OUT' } });
  });

  test('anything else is reported as unknown, not guessed at', () => {
    expect(interpretRecord({ hello: 'world' }).kind).toBe('unknown');
    expect(interpretRecord({ Status: 'SUCCEEDED', Output: '{"not":"a batch"}' }).kind).toBe('unknown');
    expect(interpretRecord(null).kind).toBe('unknown');
  });
});

describe('a Map results file the workflow cannot read', () => {
  const s3With = (text: string) => ({ send: async () => ({ Body: Readable.from([Buffer.from(text)]) }) }) as unknown as S3Client;

  test.each([
    ['a manifest.json that is not JSON', () => resultFiles(s3With('{not json'), { bucket: 'r', key: 'map-results/manifest.json' })],
    ['a result file that is not a JSON array', async () => {
      for await (const record of readResultFile(s3With('[\n{"a":1}\n'), { bucket: 'r', key: 'map-results/SUCCEEDED_0.json' })) void record;
    }],
  ])('throws MalformedFileError, a permanent handler error, for %s', async (_what, read) => {
    const error = await read().then(() => undefined, (thrown: unknown) => thrown);
    expect(error).toMatchObject({ name: HandlerErrorName.MALFORMED_FILE, message: expect.stringMatching(/^s3:\/\/r\/map-results\//) });
    expect(classifyError(error)).toBe('permanent');
  });
});
