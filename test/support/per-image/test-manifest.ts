/**
 * A deterministic manifest for the local runs: mostly images the Rekognition double labels by key,
 * with duplicates, lines that name no image, and images Rekognition refuses.
 */
export interface TestManifest {
  readonly text: string;
  readonly lines: number;
  /** Objects to upload: bucket -> key -> size in bytes. */
  readonly objects: Array<{ bucket: string; key: string; size: number }>;
  /** 1-based line -> what the engines must make of it. */
  readonly expected: Map<number, Expectation>;
}

export type Expectation =
  | { kind: 'analyzed'; bucket: string; key: string }
  | { kind: 'refused'; bucket: string; key: string; code: string }
  | { kind: 'invalid'; code: string };

export interface TestManifestOptions {
  readonly lines: number;
  readonly imageBucket: string;
  /** A bucket the caller may not read. */
  readonly privateBucket: string;
  /** Distinct analysable images (lines repeat them). */
  readonly distinctImages?: number;
}

const MARKERS = ['explicit', 'violence', 'swimwear', 'animated-calm', 'calm', 'illustrated-violence'];
const INVALID = [
  { text: 'this is not json', code: 'NOT_JSON' },
  { text: '', code: 'EMPTY_LINE' },
  { text: '{"other":"field"}', code: 'NO_SOURCE_REF' },
  { text: '{"source-ref":"https://example.com/a.jpg"}', code: 'BAD_SOURCE_REF' },
  { text: '[1,2,3]', code: 'NOT_AN_OBJECT' },
];
/** 16 MB: over Rekognition's 15 MB image limit. */
export const HUGE_IMAGE_BYTES = 16 * 1024 * 1024;

export function buildTestManifest(options: TestManifestOptions): TestManifest {
  const distinct = options.distinctImages ?? 200;
  const images = Array.from({ length: distinct }, (_, i) => `photos/${MARKERS[i % MARKERS.length]}-${i}.${i % 4 === 1 ? 'png' : 'jpg'}`);
  const objects = images.map((key) => ({ bucket: options.imageBucket, key, size: 64 }));
  objects.push({ bucket: options.imageBucket, key: 'photos/huge.jpg', size: HUGE_IMAGE_BYTES });
  for (let i = 0; i < 5; i++) objects.push({ bucket: options.imageBucket, key: `photos/diagram-${i}.gif`, size: 64 });
  objects.push({ bucket: options.privateBucket, key: 'secret-explicit.jpg', size: 64 });

  const expected = new Map<number, Expectation>();
  const text: string[] = [];
  const ref = (bucket: string, key: string) => JSON.stringify({ 'source-ref': `s3://${bucket}/${key}` });
  for (let line = 1; line <= options.lines; line++) {
    let expectation: Expectation;
    let lineText: string;
    if (line % 37 === 0) {
      const invalid = INVALID[(line / 37) % INVALID.length];
      lineText = invalid.text;
      expectation = { kind: 'invalid', code: invalid.code };
    } else if (line % 41 === 0) {
      const refused = [
        { bucket: options.imageBucket, key: `photos/missing-${line}.jpg`, code: 'INVALID_S3_OBJECT' },
        { bucket: options.imageBucket, key: `photos/diagram-${line % 5}.gif`, code: 'INVALID_IMAGE_FORMAT' },
        { bucket: options.imageBucket, key: 'photos/huge.jpg', code: 'IMAGE_TOO_LARGE' },
        { bucket: options.privateBucket, key: 'secret-explicit.jpg', code: 'INVALID_S3_OBJECT' },
      ][(line / 41) % 4];
      lineText = ref(refused.bucket, refused.key);
      expectation = { kind: 'refused', ...refused };
    } else {
      const key = images[(line * 7) % distinct];
      lineText = ref(options.imageBucket, key);
      expectation = { kind: 'analyzed', bucket: options.imageBucket, key };
    }
    text.push(lineText);
    expected.set(line, expectation);
  }
  return { text: `${text.join('\n')}\n`, lines: options.lines, objects, expected };
}
