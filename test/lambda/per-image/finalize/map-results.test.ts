import { interpretRecord } from '../../../../lambda/per-image/finalize/map-results';

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
