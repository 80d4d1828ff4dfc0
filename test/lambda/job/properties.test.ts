import { HandlerErrorName } from '../../../lib/common/contract/error-names';
import { classifyError, HandlerError } from '../../../lambda/common/errors';
import { canonicalProperties, InvalidPropertiesError, parseProperties } from '../../../lambda/job/properties';
import { ModerationJobProperty } from '../../../lib/job/moderation-job-contract';
import { ADAPTER_ARN, FULL_PROPERTIES, MINIMAL_PROPERTIES } from './fixtures';

function problemsOf(raw: Record<string, unknown>): string {
  try {
    parseProperties(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidPropertiesError);
    return (error as Error).message;
  }
  throw new Error('expected parseProperties to throw');
}

describe('parseProperties', () => {
  test('parses every property from its string form', () => {
    expect(parseProperties(FULL_PROPERTIES)).toEqual({
      manifestBucket: 'input-bucket',
      manifestKey: 'manifests/batch 1.jsonl',
      manifestVersion: 'v3.Lx9Tk',
      outputBucket: 'output-bucket',
      outputPrefix: 'results/',
      kmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555',
      minConfidence: 75.5,
      projectVersion: ADAPTER_ARN,
      jobName: undefined,
      jobNamePrefix: 'deploy-',
      waitForCompletion: true,
    });
  });

  test('applies defaults to absent optional properties', () => {
    expect(parseProperties(MINIMAL_PROPERTIES)).toEqual({
      manifestBucket: 'input-bucket',
      manifestKey: 'manifest.jsonl',
      manifestVersion: undefined,
      outputBucket: 'output-bucket',
      outputPrefix: '',
      kmsKeyId: undefined,
      minConfidence: undefined,
      projectVersion: undefined,
      jobName: undefined,
      jobNamePrefix: 'moderation-',
      waitForCompletion: false,
    });
  });

  test("treats '' as absent for optional properties, but keeps an empty JobNamePrefix", () => {
    const parsed = parseProperties({
      ...MINIMAL_PROPERTIES, ManifestVersion: '', KmsKeyId: '', MinConfidence: '', ProjectVersion: '', JobName: '', JobNamePrefix: '',
    });
    expect(parsed).toMatchObject({ manifestVersion: undefined, kmsKeyId: undefined, minConfidence: undefined, projectVersion: undefined, jobName: undefined, jobNamePrefix: '' });
  });

  test.each(['0', '100', '50', '99.99', ' 42 ', '1e-7', '1e1', '.5'])('accepts MinConfidence %j', (value) => {
    expect(parseProperties({ ...MINIMAL_PROPERTIES, MinConfidence: value }).minConfidence).toBe(Number(value));
  });

  test.each(['abc', '101', '-1', '1e3', '0x10', 'NaN', 'Infinity', '50%', '5 0'])('fails if MinConfidence is %j', (value) => {
    expect(problemsOf({ ...MINIMAL_PROPERTIES, MinConfidence: value }))
      .toContain(`MinConfidence must be a number from 0 to 100 (given ${JSON.stringify(value)})`);
  });

  test.each(['yes', 'TRUE', '1', ''])('fails if WaitForCompletion is %j', (value) => {
    expect(problemsOf({ ...MINIMAL_PROPERTIES, WaitForCompletion: value }))
      .toMatch(/WaitForCompletion (must be 'true' or 'false'|must not be empty) \(given ".*"\)/);
  });

  test('fails if required properties are missing, naming each of them at once', () => {
    const message = problemsOf({ OutputPrefix: '' });
    for (const name of ['ManifestBucket', 'ManifestKey', 'OutputBucket', 'WaitForCompletion']) {
      expect(message).toContain(`${name} is required`);
    }
    expect(message).not.toContain('OutputPrefix');
  });

  test('fails if OutputPrefix is missing (it may be empty, but must be given)', () => {
    const { OutputPrefix: _omitted, ...withoutPrefix } = MINIMAL_PROPERTIES;
    expect(problemsOf(withoutPrefix)).toContain('OutputPrefix is required');
  });

  test.each([
    ['with whitespace', 'with space/', 'must not contain whitespace'],
    ['longer than 700 bytes', '/'.padStart(701, 'a'), 'must be at most 700 bytes in UTF-8 (is 701 bytes)'],
    ['361 characters but 721 bytes', `${'é'.repeat(360)}/`, 'must be at most 700 bytes in UTF-8 (is 721 bytes)'],
    ['starting with a slash', '/results/', "must not start with '/'"],
    ['holding a double slash', 'results//', "must not contain '//'"],
  ])('fails if OutputPrefix is %s, by the check the construct runs at synth', (_case, value, problem) => {
    expect(problemsOf({ ...MINIMAL_PROPERTIES, OutputPrefix: value })).toContain(`OutputPrefix ${problem}`);
    expect(problemsOf({ ...MINIMAL_PROPERTIES, OutputPrefix: value })).toContain(`(given ${JSON.stringify(value).slice(0, 40)}`);
  });

  test.each([['', ''], ['results/', 'results/'], ['results', 'results/'], ['a/b', 'a/b/']])('reads OutputPrefix %j as %j (a folder, like the trigger)', (given, expected) => {
    expect(parseProperties({ ...MINIMAL_PROPERTIES, OutputPrefix: given }).outputPrefix).toBe(expected);
  });

  test('fails if a required property is blank', () => {
    expect(problemsOf({ ...MINIMAL_PROPERTIES, ManifestKey: '  ' })).toContain('ManifestKey must not be empty (given "  ")');
  });

  test('fails if a property is not a string', () => {
    expect(problemsOf({ ...MINIMAL_PROPERTIES, ManifestBucket: { Ref: 'Bucket' } }))
      .toContain('ManifestBucket must be a string (given object {"Ref":"Bucket"})');
  });

  test('fails if JobName breaks the Rekognition rules', () => {
    expect(problemsOf({ ...MINIMAL_PROPERTIES, JobName: 'my job' })).toContain('JobName must be 1 to 64 characters');
    expect(problemsOf({ ...MINIMAL_PROPERTIES, JobName: 'x'.repeat(65) })).toContain('JobName must be 1 to 64 characters');
  });

  test('fails if JobNamePrefix is too long or has other characters', () => {
    expect(problemsOf({ ...MINIMAL_PROPERTIES, JobNamePrefix: 'a'.repeat(41) })).toContain('JobNamePrefix must be at most 40 characters');
    expect(problemsOf({ ...MINIMAL_PROPERTIES, JobNamePrefix: 'bad/prefix' })).toContain('JobNamePrefix must be at most 40 characters');
  });

  test('fails on unknown properties (a typo would otherwise be ignored silently)', () => {
    expect(problemsOf({ ...MINIMAL_PROPERTIES, MinConfidense: '80' })).toContain('unknown property MinConfidense (allowed: ManifestBucket, ');
  });

  test('accepts the properties CloudFormation adds (ServiceToken, ServiceTimeout)', () => {
    expect(() => parseProperties({ ...MINIMAL_PROPERTIES, ServiceTimeout: '900' })).not.toThrow();
  });

  test('knows every property name of the shared contract', () => {
    // Engine and PerImageStateMachineArn are checked together: give them values that go together.
    const valid: Record<string, string> = { ...FULL_PROPERTIES, Engine: 'auto', PerImageStateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:PerImage' };
    const all = Object.fromEntries(Object.values(ModerationJobProperty).map((name) => [name, valid[name] ?? 'job-1']));
    expect(() => parseProperties(all)).not.toThrow();
  });
});

describe('canonicalProperties', () => {
  test('ignores key order, ServiceToken and ServiceTimeout', () => {
    const reordered = Object.fromEntries(Object.entries(FULL_PROPERTIES).reverse());
    expect(canonicalProperties({ ...reordered, ServiceToken: 'other', ServiceTimeout: '300' })).toBe(canonicalProperties(FULL_PROPERTIES));
    expect(canonicalProperties(FULL_PROPERTIES)).not.toContain('ServiceToken');
  });

  test('sorts keys and tells different values apart', () => {
    expect(canonicalProperties({ b: '1', a: { d: '2', c: ['x'] } })).toBe('{"a":{"c":["x"],"d":"2"},"b":"1"}');
    expect(canonicalProperties({ ...MINIMAL_PROPERTIES, OutputPrefix: 'a/' })).not.toBe(canonicalProperties(MINIMAL_PROPERTIES));
  });
});

describe('InvalidPropertiesError', () => {
  test('is a HandlerError with a stable name that the classifier deems permanent', () => {
    const error = new InvalidPropertiesError(['OutputBucket is required']);

    expect(error).toBeInstanceOf(HandlerError);
    expect(error.name).toBe(HandlerErrorName.INVALID_INPUT);
    expect(classifyError(error)).toBe('permanent');
  });
});
