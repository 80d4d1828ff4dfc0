import { batchName, planBatch } from '../../../../lambda/ingest/manifest-batch';
import { countsSkipsOf, skipReportFolders, skipReportOf } from '../../../../lib/common/contract/batch-files';
import { backfillManifestFolder } from '../../../../lib/backfill/backfill-contract';
import { ingestManifestFolder, SkipReason, type SkipReport } from '../../../../lib/ingest/ingest-contract';

// The writers name a batch's files and the tracker finds them through one module: a round trip.

const skipped = [{ bucket: 'images', key: 'a.txt', reason: SkipReason.NOT_AN_IMAGE }];
const images = (count: number) => Array.from({ length: count }, (_, index) => ({ bucket: 'images', key: `${index}.jpg` }));

describe.each([
  ['image ingestion', ingestManifestFolder('manifests/')],
  ['a backfill', backfillManifestFolder('manifests/', 'Library-0a1b2c3d')],
  ['image ingestion at the bucket root', ingestManifestFolder('')],
])('the files %s writes', (_writer, folder) => {
  const manifestPrefix = folder.startsWith('manifests/') ? 'manifests/' : '';
  const name = batchName(['images/0.jpg#1', 'images/a.txt#1']);
  const plan = planBatch(name, images(5), skipped, { bucket: 'in', folder, suffix: '.jsonl', maxImagesPerManifest: 2 });
  const report = JSON.parse(plan.skipReport!.body) as SkipReport;

  test('lead every manifest of a batch to the batch\'s one skip report', () => {
    expect(plan.manifests).toHaveLength(3);
    for (const manifest of plan.manifests) {
      expect(skipReportOf({ bucket: 'in', key: manifest.key }, manifestPrefix)).toEqual({ bucket: 'in', key: plan.skipReport!.key });
    }
  });

  test('count the skips on the first manifest only', () => {
    expect(plan.manifests.map((manifest) => countsSkipsOf({ bucket: 'in', key: manifest.key }, report.manifests))).toEqual([true, false, false]);
  });

  test('are in the folders the tracker may read', () => {
    expect(skipReportFolders(manifestPrefix).some((reports) => plan.skipReport!.key.startsWith(reports))).toBe(true);
  });
});

test('a manifest not named after a batch has no skip report', () => {
  expect(skipReportOf({ bucket: 'in', key: 'manifests/ingest/photos.jsonl' }, 'manifests/')).toBeUndefined();
  expect(skipReportOf({ bucket: 'in', key: `manifests/ingest/${'a'.repeat(33)}.jsonl` }, 'manifests/')).toBeUndefined();
});
