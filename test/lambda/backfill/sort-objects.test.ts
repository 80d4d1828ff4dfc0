import { backfillEnvironment, ObjectSource, readBackfillSettings, type BackfillSettings } from '../../../lib/backfill/backfill-contract';
import { emitProgressMetrics } from '../../../lambda/backfill/metrics';
import { sortObjects } from '../../../lambda/backfill/sort-objects';
import { logOutput } from '../../../lambda/common/log';

const SETTINGS: BackfillSettings = {
  backfillName: 'Photos-12345678',
  imageBucket: 'acme-photos',
  imagePrefix: 'photos/',
  imageSuffixes: ['.jpg', '.jpeg', '.png'],
  manifestBucket: 'input',
  manifestFolder: 'manifests/backfill/Photos-12345678/',
  manifestSuffix: '.jsonl',
  maxImagesPerManifest: 10_000,
};

describe('sortObjects: listed objects', () => {
  test('images by suffix in any case; 0 bytes, over 15 MB and other suffixes skipped with their size', () => {
    // GIVEN
    const items = [
      { Key: 'photos/a.jpg', Size: 10, ETag: '"a"' },
      { Key: 'photos/B.JPG', Size: 15 * 1024 * 1024, ETag: '"b"' },
      { Key: 'photos/c.jpg', Size: 15 * 1024 * 1024 + 1, ETag: '"c"' },
      { Key: 'photos/d.png', Size: 0, ETag: '"d"' },
      { Key: 'photos/e.txt', Size: 4, ETag: '"e"' },
      { Key: 'photos/folder/', Size: 0, ETag: '"f"' },
    ];

    // WHEN
    const sorted = sortObjects(items, ObjectSource.LIST, SETTINGS);

    // THEN
    expect(sorted.images.map((image) => image.key)).toEqual(['photos/a.jpg', 'photos/B.JPG']);
    expect(sorted.skipped).toEqual([
      { bucket: 'acme-photos', key: 'photos/c.jpg', reason: 'too-large', size: 15 * 1024 * 1024 + 1 },
      { bucket: 'acme-photos', key: 'photos/d.png', reason: 'empty', size: 0 },
      { bucket: 'acme-photos', key: 'photos/e.txt', reason: 'not-an-image', size: 4 },
      { bucket: 'acme-photos', key: 'photos/folder/', reason: 'not-an-image', size: 0 },
    ]);
    // The ETag is in the identity: a changed object names a new batch.
    expect(sorted.identities[0]).toBe('acme-photos/photos/a.jpg#"a"');
    expect(sorted.ignored).toBe(0);
  });
});

describe('sortObjects: S3 Inventory rows', () => {
  test('keys URL-decoded (+ as space), sizes from strings; other buckets, prefixes, delete markers and old versions ignored', () => {
    // GIVEN
    const rows = [
      { Bucket: 'acme-photos', Key: 'photos/a+cat%2Bdog.JPG', Size: '12', ETag: 'x', VersionId: 'v2', IsLatest: 'true', IsDeleteMarker: 'false' },
      { Bucket: 'acme-photos', Key: 'photos/%E7%8C%AB.png', Size: '0', ETag: 'y' },
      { Bucket: 'acme-photos', Key: 'photos/old.jpg', Size: '5', VersionId: 'v1', IsLatest: 'false' },
      { Bucket: 'acme-photos', Key: 'photos/gone.jpg', IsDeleteMarker: 'true', IsLatest: 'true' },
      { Bucket: 'acme-photos', Key: 'other/a.jpg', Size: '5' },
      { Bucket: 'someone-else', Key: 'photos/a.jpg', Size: '5' },
    ];

    // WHEN
    const sorted = sortObjects(rows, ObjectSource.INVENTORY, SETTINGS);

    // THEN
    expect(sorted.images).toEqual([{ bucket: 'acme-photos', key: 'photos/a cat+dog.JPG', identity: 'acme-photos/photos/a cat+dog.JPG#x', version: 'v2' }]);
    expect(sorted.skipped).toEqual([{ bucket: 'acme-photos', key: 'photos/猫.png', reason: 'empty', size: 0 }]);
    expect(sorted.ignored).toBe(4);
  });
});

describe('backfill contract', () => {
  test('the environment the construct writes reads back as the same settings', () => {
    expect(readBackfillSettings(backfillEnvironment(SETTINGS))).toEqual(SETTINGS);
  });

  test('a handler deployed with a bad value fails naming the variable and the value', () => {
    expect(() => readBackfillSettings({ ...backfillEnvironment(SETTINGS), MAX_IMAGES_PER_MANIFEST: '10001' })).toThrow(/MAX_IMAGES_PER_MANIFEST/);
    expect(() => readBackfillSettings({ ...backfillEnvironment(SETTINGS), BACKFILL_NAME: 'a b' })).toThrow(/BACKFILL_NAME/);
  });
});

describe('emitProgressMetrics', () => {
  test('one embedded-metric-format line: namespace, the Backfill dimension, four counts', () => {
    // GIVEN
    const lines: string[] = [];
    const spy = jest.spyOn(logOutput, 'log').mockImplementation((line: string) => void lines.push(line));

    // WHEN
    emitProgressMetrics('Photos-12345678', {
      objectsListed: 1_500, images: 1_490, imagesQueued: 1_490, imagesSkipped: 10, manifestsWritten: 1, manifestsExisting: 0, objectsIgnored: 0,
    }, new Date('2026-11-30T00:00:00Z'));
    spy.mockRestore();

    // THEN
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]);
    expect(line._aws).toEqual({
      Timestamp: Date.parse('2026-11-30T00:00:00Z'),
      CloudWatchMetrics: [{
        Namespace: 'CdkBulkModeration/Backfill',
        Dimensions: [['Backfill']],
        Metrics: ['ObjectsListed', 'ManifestsWritten', 'ImagesSkipped', 'ImagesQueued'].map((Name) => ({ Name, Unit: 'Count' })),
      }],
    });
    expect(line).toMatchObject({ Backfill: 'Photos-12345678', ObjectsListed: 1_500, ManifestsWritten: 1, ImagesSkipped: 10, ImagesQueued: 1_490 });
  });
});
