import { batchName, planBatch } from '../../../lambda/ingest/manifest-batch';

const target = { bucket: 'in', folder: 'manifests/ingest/', suffix: '.jsonl', maxImagesPerManifest: 3 };
const images = (count: number, keyLength = 10) => Array.from({ length: count }, (_, index) => ({ bucket: 'b', key: `${String(index).padStart(keyLength, '0')}.jpg` }));

describe('planBatch', () => {
  test('cuts a batch into manifests of at most maxImagesPerManifest lines, numbered, each key once', () => {
    const plan = planBatch('n', [...images(7), ...images(2)], [], target);
    expect(plan.manifests.map((manifest) => [manifest.key, manifest.images])).toEqual([
      ['manifests/ingest/n-1.jsonl', 3], ['manifests/ingest/n-2.jsonl', 3], ['manifests/ingest/n-3.jsonl', 1],
    ]);
    expect(plan.skipReport).toBeUndefined();
  });

  test('keeps every manifest within the byte limit', () => {
    const plan = planBatch('n', images(3, 100), [], { ...target, maxImagesPerManifest: 10_000, maxManifestBytes: 300 });
    expect(plan.manifests.map((manifest) => Buffer.byteLength(manifest.body))).toEqual([258, 129]);
    expect(plan.manifests.map((manifest) => manifest.images)).toEqual([2, 1]);
  });

  test('a single manifest has no number', () => {
    expect(planBatch('n', images(1), [], target).manifests.map((manifest) => manifest.key)).toEqual(['manifests/ingest/n.jsonl']);
  });
});

describe('batchName', () => {
  test('depends on the set of identities, not their order or repeats', () => {
    expect(batchName(['a', 'b', 'a'])).toBe(batchName(['b', 'a']));
    expect(batchName(['a', 'b'])).not.toBe(batchName(['a', 'c']));
    expect(batchName(['a'])).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('planBatch image versions', () => {
  test('one image-versions file per manifest with known versions, listing only its own lines; none without versions', () => {
    const versioned = images(4).map((image, index) => ({ ...image, ...(index !== 1 && { version: `v${index}` }) }));
    const plan = planBatch('n', versioned, [], target);
    expect(plan.imageVersions?.map((file) => [file.key, JSON.parse(file.body).images])).toEqual([
      ['manifests/ingest/n-1.jsonl.image-versions.json', { 's3://b/0000000000.jpg': 'v0', 's3://b/0000000002.jpg': 'v2' }],
      ['manifests/ingest/n-2.jsonl.image-versions.json', { 's3://b/0000000003.jpg': 'v3' }],
    ]);
    expect(planBatch('n', images(4), [], target).imageVersions).toBeUndefined();
  });
});
