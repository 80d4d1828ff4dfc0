import { Readable } from 'node:stream';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { summarizeRun } from '../../../lambda/backfill/summarize';
import { s3Body } from '../../support/result-fixtures';

const s3Mock = mockClient(S3Client);
const batch = (objectsListed: number, manifestsWritten: number) => ({
  batch: `b${objectsListed}`, objectsListed, images: objectsListed - 1, imagesQueued: manifestsWritten ? objectsListed - 1 : 0, imagesSkipped: 1, manifestsWritten, manifestsExisting: 1 - manifestsWritten, objectsIgnored: 0,
});

function files(contents: Record<string, string>): void {
  s3Mock.reset();
  for (const [key, body] of Object.entries(contents)) {
    s3Mock.on(GetObjectCommand, { Key: key }).callsFake(() => ({ Body: s3Body(Readable.from([Buffer.from(body)])) }));
  }
}

describe('summarizeRun', () => {
  test('adds up the outputs of every SUCCEEDED file: a JSON array (COMPACT), JSON Lines, and NONE records', async () => {
    // GIVEN
    files({
      'runs/r/manifest.json': JSON.stringify({
        DestinationBucket: 'input',
        ResultFiles: { SUCCEEDED: [{ Key: 'runs/r/SUCCEEDED_0.json' }, { Key: 'runs/r/SUCCEEDED_1.json' }, { Key: 'runs/r/SUCCEEDED_2.json' }], FAILED: [{ Key: 'runs/r/FAILED_0.json' }], PENDING: [] },
      }),
      'runs/r/SUCCEEDED_0.json': JSON.stringify([batch(1_000, 1), batch(500, 0)]),
      'runs/r/SUCCEEDED_1.json': `${JSON.stringify(batch(10, 1))}\n${JSON.stringify(batch(20, 1))}\n`,
      'runs/r/SUCCEEDED_2.json': JSON.stringify([{ Status: 'SUCCEEDED', Output: JSON.stringify(batch(3, 0)) }]),
    });

    // WHEN
    const total = await summarizeRun(new S3Client({ region: 'us-east-1' }), { ResultWriterDetails: { Bucket: 'input', Key: 'runs/r/manifest.json' } });

    // THEN
    expect(total).toEqual({
      objectsListed: 1_533, images: 1_528, imagesQueued: 999 + 9 + 19, imagesSkipped: 5, manifestsWritten: 3, manifestsExisting: 2, objectsIgnored: 0, batches: 5,
    });
    // FAILED files are not read: a run with a failed batch never gets here.
    expect(s3Mock.commandCalls(GetObjectCommand).map((call) => call.args[0].input.Key)).not.toContain('runs/r/FAILED_0.json');
  });

  test('fails naming the file when a result file is not JSON', async () => {
    files({
      'm.json': JSON.stringify({ ResultFiles: { SUCCEEDED: [{ Key: 'bad.json' }] } }),
      'bad.json': '[{"objectsListed": ',
    });
    await expect(summarizeRun(new S3Client({ region: 'us-east-1' }), { ResultWriterDetails: { Bucket: 'input', Key: 'm.json' } })).rejects.toThrow(/bad.json/);
  });
});
