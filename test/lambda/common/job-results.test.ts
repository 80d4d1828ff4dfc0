import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  labelsAtOrAbove,
  MalformedOutputError,
  ModerationTally,
  parseManifestSummary,
  parseResultLine,
  readManifestSummary,
  readResultLines,
  ResultLine,
  scanResults,
  topLevelName,
} from '../../../lambda/common/job-results';
import { isRetryable } from '../../../lambda/common/errors';
import { label, lazyLines, resultLine, resultsFile, s3Body, summaryJson } from '../../support/result-fixtures';
import { Readable } from 'node:stream';

const s3Mock = mockClient(S3Client);
const s3 = new S3Client({ region: 'us-east-1' });

beforeEach(() => s3Mock.reset());

describe('parseManifestSummary', () => {
  const errors = [
    { line: 3, sourceRef: 's3://uploads/bad.gif', code: 'INVALID_IMAGE_FORMAT', message: 'GIF is not supported' },
    { line: 7, sourceRef: 's3://uploads/missing.jpg', code: 'INVALID_S3_OBJECT', message: 'Not found' },
  ];

  test.each(['line-numer', 'line-number'] as const)('reads statistics and errors keyed %s', (lineKey) => {
    // WHEN
    const statistics = parseManifestSummary(summaryJson({ total: 10, valid: 8, invalid: 2 }, errors, lineKey));

    // THEN
    expect(statistics).toEqual({
      totalLines: 10,
      validLines: 8,
      invalidLines: 2,
      errorCount: 2,
      errors: [
        { lineNumber: 3, sourceRef: 's3://uploads/bad.gif', code: 'INVALID_IMAGE_FORMAT', message: 'GIF is not supported' },
        { lineNumber: 7, sourceRef: 's3://uploads/missing.jpg', code: 'INVALID_S3_OBJECT', message: 'Not found' },
      ],
    });
  });

  test('lists the first 10 errors and counts them all', () => {
    const many = Array.from({ length: 25 }, (_, index) => ({ line: index + 1, sourceRef: `s3://b/${index}.jpg`, code: 'C', message: 'm' }));

    const statistics = parseManifestSummary(summaryJson({ total: 25, valid: 0, invalid: 25 }, many));

    expect(statistics.errorCount).toBe(25);
    expect(statistics.errors.map((error) => error.lineNumber)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  test('accepts a summary without an errors list', () => {
    const statistics = parseManifestSummary(JSON.stringify({ statistics: { 'total-json-lines': 1, 'valid-json-lines': 1, 'invalid-json-lines': 0 } }));

    expect(statistics).toEqual({ totalLines: 1, validLines: 1, invalidLines: 0, errorCount: 0, errors: [] });
  });

  test('keeps an error whose fields are missing or mistyped, with nulls and defaults', () => {
    const text = JSON.stringify({
      statistics: { 'total-json-lines': 1, 'valid-json-lines': 0, 'invalid-json-lines': 1 },
      errors: [{ 'line-numer': 'three', 'source-ref': 42 }, 'not an object'],
    });

    expect(parseManifestSummary(text).errors).toEqual([
      { lineNumber: null, sourceRef: null, code: 'UNKNOWN', message: '' },
      { lineNumber: null, sourceRef: null, code: 'UNKNOWN', message: '' },
    ]);
  });

  test.each([
    ['not JSON', '{"statistics": '],
    ['no statistics', JSON.stringify({ version: '1.0' })],
    ['a negative count', JSON.stringify({ statistics: { 'total-json-lines': -1, 'valid-json-lines': 0, 'invalid-json-lines': 0 } })],
    ['a missing count', JSON.stringify({ statistics: { 'total-json-lines': 1, 'valid-json-lines': 1 } })],
    ['errors that are not a list', JSON.stringify({ statistics: { 'total-json-lines': 1, 'valid-json-lines': 1, 'invalid-json-lines': 0 }, errors: {} })],
  ])('fails with MalformedOutputError on %s', (_, text) => {
    expect(() => parseManifestSummary(text)).toThrow(MalformedOutputError);
  });
});

describe('readManifestSummary', () => {
  test('reads the object at the given location', async () => {
    // GIVEN
    s3Mock.on(GetObjectCommand).resolves({ Body: s3Body(summaryJson({ total: 2, valid: 2, invalid: 0 })) });

    // WHEN
    const statistics = await readManifestSummary(s3, { bucket: 'out', key: 'some/where/summary.json' });

    // THEN
    expect(statistics.totalLines).toBe(2);
    expect(s3Mock).toHaveReceivedCommandWith(GetObjectCommand, { Bucket: 'out', Key: 'some/where/summary.json' });
  });

  test('lets S3 errors through with their name', async () => {
    s3Mock.on(GetObjectCommand).rejects(Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown' }));

    await expect(readManifestSummary(s3, { bucket: 'out', key: 'summary.json' })).rejects.toMatchObject({ name: 'SlowDown' });
  });

  test('fails with ReadInterruptedError when the summary breaks off mid-stream', async () => {
    // GIVEN
    async function* breaksOff() {
      yield Buffer.from('{"version":"1.0",');
      throw new Error('aborted');
    }
    s3Mock.on(GetObjectCommand).resolves({ Body: s3Body(Readable.from(breaksOff())) });

    // WHEN / THEN
    await expect(readManifestSummary(s3, { bucket: 'out', key: 'summary.json' })).rejects.toMatchObject({ name: 'ReadInterruptedError' });
  });
});

describe('parseResultLine', () => {
  test('reads an analysed image', () => {
    const line = parseResultLine(resultLine('s3://b/a.jpg', [label('Explicit', 90.5)]), 4);

    expect(line).toEqual({
      kind: 'analyzed',
      lineNumber: 4,
      sourceRef: 's3://b/a.jpg',
      labels: [{ Name: 'Explicit', Confidence: 90.5, ParentName: '', TaxonomyLevel: 1 }],
    });
  });

  test('reads an image that could not be analysed', () => {
    expect(parseResultLine(resultLine('s3://b/a.jpg', null), 1)).toEqual({ kind: 'unanalyzed', lineNumber: 1, sourceRef: 's3://b/a.jpg' });
  });

  test('drops labels without a name or a numeric confidence', () => {
    const text = JSON.stringify({
      'source-ref': 's3://b/a.jpg',
      'detect-moderation-labels': { ModerationLabels: [{ Name: 'Violence', Confidence: '99' }, { Confidence: 80 }, label('Drugs', 60)] },
    });

    expect(parseResultLine(text, 1)).toMatchObject({ kind: 'analyzed', labels: [{ Name: 'Drugs' }] });
  });

  test.each([
    ['not JSON', '{"source-ref": "s3://b/a.jpg"'],
    ['not an object', '[1, 2]'],
    ['labels that are not a list', JSON.stringify({ 'source-ref': 's3://b/a.jpg', 'detect-moderation-labels': { ModerationLabels: {} } })],
  ])('marks a line that is %s unreadable', (_, text) => {
    expect(parseResultLine(text, 9)).toMatchObject({ kind: 'unreadable', lineNumber: 9 });
  });
});

describe('topLevelName', () => {
  const byName = (...labels: ReturnType<typeof label>[]) => new Map(labels.map((l) => [l.Name, l]));

  test('a top-level label is its own top level', () => {
    const explicit = label('Explicit', 90);
    expect(topLevelName(explicit, byName(explicit))).toBe('Explicit');
  });

  test('a level-1 label is top level even with a parent name', () => {
    const odd = label('Violence', 90, 'Something', 1);
    expect(topLevelName(odd, byName(odd))).toBe('Violence');
  });

  test('walks up through parents present in the image', () => {
    const top = label('Explicit', 95);
    const middle = label('Explicit Nudity', 95, 'Explicit', 2);
    const leaf = label('Exposed Male Genitalia', 95, 'Explicit Nudity', 3);
    expect(topLevelName(leaf, byName(top, middle, leaf))).toBe('Explicit');
  });

  test('a level-2 label whose parent is missing counts under its ParentName', () => {
    const middle = label('Weapon Violence', 80, 'Violence', 2);
    expect(topLevelName(middle, byName(middle))).toBe('Violence');
  });

  test('a level-3 label whose level-2 parent is missing counts under its own name', () => {
    const leaf = label('Exposed Male Genitalia', 95, 'Explicit Nudity', 3);
    expect(topLevelName(leaf, byName(leaf))).toBe('Exposed Male Genitalia');
  });

  test('a level-3 label whose grandparent is missing counts under the level-2 parent\'s ParentName', () => {
    const middle = label('Explicit Nudity', 95, 'Explicit', 2);
    const leaf = label('Exposed Male Genitalia', 95, 'Explicit Nudity', 3);
    expect(topLevelName(leaf, byName(middle, leaf))).toBe('Explicit');
  });

  test('a cycle ends', () => {
    const a = label('A', 90, 'B', 3);
    const b = label('B', 90, 'A', 3);
    expect(['A', 'B']).toContain(topLevelName(a, byName(a, b)));
  });
});

describe('ModerationTally', () => {
  const analyzed = (sourceRef: string, labels: ReturnType<typeof label>[]): ResultLine => ({ kind: 'analyzed', lineNumber: 1, sourceRef, labels });

  test('flags images with a label at or above the threshold and counts each top level once per image', () => {
    // GIVEN
    const tally = new ModerationTally(60);

    // WHEN
    const flagged = [
      tally.add(analyzed('s3://b/1.jpg', [label('Explicit', 99), label('Explicit Nudity', 98, 'Explicit'), label('Violence', 60)])),
      tally.add(analyzed('s3://b/2.jpg', [label('Violence', 59.9), label('Drugs', 10)])),
      tally.add(analyzed('s3://b/3.jpg', [])),
      tally.add(analyzed('s3://b/4.jpg', [label('Weapons', 75, 'Violence')])),
      tally.add({ kind: 'unanalyzed', lineNumber: 5, sourceRef: 's3://b/5.jpg' }),
      tally.add({ kind: 'unreadable', lineNumber: 6, reason: 'not JSON' }),
    ];

    // THEN
    expect(flagged).toEqual([
      { 'source-ref': 's3://b/1.jpg', 'labels': ['Explicit', 'Explicit Nudity', 'Violence'] },
      null,
      null,
      { 'source-ref': 's3://b/4.jpg', 'labels': ['Weapons'] },
      null,
      null,
    ]);
    expect(tally.statistics()).toEqual({
      minConfidence: 60,
      imagesAnalyzed: 4,
      imagesFlagged: 2,
      labels: { Explicit: 1, Violence: 2 },
      unreadableLines: 1,
    });
  });

  test('defaults to a threshold of 50', () => {
    const tally = new ModerationTally();
    tally.add(analyzed('s3://b/1.jpg', [label('Drugs', 50)]));
    tally.add(analyzed('s3://b/2.jpg', [label('Drugs', 49.99)]));

    expect(tally.statistics()).toMatchObject({ minConfidence: 50, imagesFlagged: 1, labels: { Drugs: 1 } });
  });

  test('labelsAtOrAbove lists each name once', () => {
    expect(labelsAtOrAbove([label('A', 80), label('A', 90), label('B', 10)], 50)).toEqual(['A']);
  });
});

describe('readResultLines', () => {
  test('numbers lines as in the file, skipping blank ones, across chunk boundaries and CRLF', async () => {
    // GIVEN a file split mid-line, with a blank line and Windows line ends
    const text = `${resultLine('s3://b/1.jpg', [label('A', 90)])}\r\n\r\n${resultLine('s3://b/é.jpg', null)}\n`;
    const bytes = Buffer.from(text);
    const chunks = [bytes.subarray(0, 17), bytes.subarray(17, bytes.indexOf(0xc3) + 1), bytes.subarray(bytes.indexOf(0xc3) + 1)];

    // WHEN
    const lines: ResultLine[] = [];
    for await (const line of readResultLines(Readable.from(chunks))) {
      lines.push(line);
    }

    // THEN
    expect(lines).toEqual([
      expect.objectContaining({ kind: 'analyzed', lineNumber: 1, sourceRef: 's3://b/1.jpg' }),
      { kind: 'unanalyzed', lineNumber: 3, sourceRef: 's3://b/é.jpg' },
    ]);
  });

  test('fails with ReadInterruptedError (retried as transient) when the stream breaks off, naming the object', async () => {
    // GIVEN a download cut off mid-stream: Node reports a plain Error
    async function* failing() {
      yield Buffer.from(`${resultLine('s3://b/1.jpg', null)}\n`);
      throw new Error('aborted');
    }

    // WHEN
    const reading = (async () => {
      for await (const line of readResultLines(Readable.from(failing()), { bucket: 'out', key: 'results.jsonl' })) {
        void line;
      }
    })();

    // THEN
    const error = await reading.catch((e) => e);
    expect(error).toMatchObject({ name: 'ReadInterruptedError', message: 'Reading s3://out/results.jsonl was cut off: aborted' });
    expect(isRetryable(error)).toBe(true);
    expect(isRetryable(new Error('aborted'))).toBe(false);
  });

  test('leaves an error of the caller, thrown while it holds a line, as it is', async () => {
    // GIVEN
    const stream = Readable.from([Buffer.from(`${resultLine('s3://b/1.jpg', null)}\n${resultLine('s3://b/2.jpg', null)}\n`)]);

    // WHEN
    const reading = (async () => {
      for await (const line of readResultLines(stream)) {
        void line;
        throw Object.assign(new Error('slow down'), { name: 'SlowDown' });
      }
    })();

    // THEN
    await expect(reading).rejects.toMatchObject({ name: 'SlowDown' });
  });
});

describe('scanResults', () => {
  test('counts a 10,000-line file while reading it incrementally', async () => {
    // GIVEN every third image flagged, every seventh unanalysed, generated only as it is pulled
    const lines = 10_000;
    const isUnanalyzed = (index: number) => index % 7 === 0;
    const isFlagged = (index: number) => !isUnanalyzed(index) && index % 3 === 0;
    const file = lazyLines(lines, (index) =>
      resultLine(
        `s3://uploads/images/${index}.jpg`,
        isUnanalyzed(index) ? null : isFlagged(index) ? [label('Violence', 91), label('Weapons', 88, 'Violence')] : [],
      ),
    );
    let maxLinesAhead = 0;
    let flaggedSeen = 0;
    let linesBeforeFirstFlag = -1;

    // WHEN
    const { moderation, firstUnreadable } = await scanResults(file.stream, 50, (image) => {
      flaggedSeen += 1;
      if (linesBeforeFirstFlag < 0) {
        linesBeforeFirstFlag = file.produced();
      }
      // Lines produced but not yet tallied: bounded by readline's queue, not by the file.
      const tallied = Number(/\/(\d+)\.jpg$/.exec(image['source-ref'] ?? '')?.[1]) + 1;
      maxLinesAhead = Math.max(maxLinesAhead, file.produced() - tallied);
    });

    // THEN
    const expected = { analyzed: 0, flagged: 0 };
    for (let index = 0; index < lines; index++) {
      expected.analyzed += isUnanalyzed(index) ? 0 : 1;
      expected.flagged += isFlagged(index) ? 1 : 0;
    }
    expect(moderation).toEqual({
      minConfidence: 50,
      imagesAnalyzed: expected.analyzed,
      imagesFlagged: expected.flagged,
      labels: { Violence: expected.flagged },
      unreadableLines: 0,
    });
    expect(firstUnreadable).toBeNull();
    expect(flaggedSeen).toBe(expected.flagged);
    expect(file.produced()).toBe(lines);
    expect(linesBeforeFirstFlag).toBeLessThan(lines / 2);
    expect(maxLinesAhead).toBeLessThan(2_000);
  });

  test('awaits the flagged-image callback before reading on', async () => {
    const file = lazyLines(3_000, (index) => resultLine(`s3://b/${index}.jpg`, [label('Drugs', 70)]));
    let maxLinesAhead = 0;
    let handled = 0;

    await scanResults(file.stream, 50, async () => {
      await new Promise((resolve) => setImmediate(resolve));
      handled += 1;
      maxLinesAhead = Math.max(maxLinesAhead, file.produced() - handled);
    });

    expect(handled).toBe(3_000);
    expect(maxLinesAhead).toBeLessThan(2_000);
  });

  test('reports unreadable lines and still counts the readable ones', async () => {
    const text = resultsFile([
      resultLine('s3://b/1.jpg', [label('Explicit', 99)]),
      '{"source-ref": truncated',
      resultLine('s3://b/3.jpg', []),
    ]);

    const { moderation, firstUnreadable } = await scanResults(s3Body(text), 50, () => undefined);

    expect(moderation).toMatchObject({ imagesAnalyzed: 2, imagesFlagged: 1, unreadableLines: 1 });
    expect(firstUnreadable).toEqual({ lineNumber: 2, reason: 'not JSON' });
  });
});
