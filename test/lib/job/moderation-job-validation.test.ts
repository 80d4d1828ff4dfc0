import { App, CfnParameter, Duration, Lazy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ModerationJob, ModerationJobProps } from '../../../lib';
import { logicalId, resourceProperties } from '../../support/synth-helpers';

type JobOptions = Omit<ModerationJobProps, 'manifestBucket' | 'manifestKey'> & { manifestKey?: string; withOutputBucket?: boolean };

/** A ModerationJob 'Job' in a new stack, with imported manifest and (unless told otherwise) output buckets. */
function build(options: JobOptions = {}): { stack: Stack; job: ModerationJob } {
  const stack = new Stack(new App(), 'Stack');
  const { withOutputBucket = true, manifestKey = 'batch.jsonl', ...props } = options;
  const job = new ModerationJob(stack, 'Job', {
    manifestBucket: s3.Bucket.fromBucketName(stack, 'Manifests', 'acme-manifests'),
    manifestKey,
    outputBucket: withOutputBucket ? s3.Bucket.fromBucketName(stack, 'Results', 'acme-results') : undefined,
    ...props,
  });
  return { stack, job };
}

/** The bullet lines of a construct validation error. */
function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    return (error as Error).message.split('\n').filter((line) => line.startsWith('- '));
  }
  throw new Error('expected an error');
}

describe('ModerationJob props validation', () => {
  test.each<[string, JobOptions, RegExp]>([
    ['neither outputBucket nor pipeline is given', { withOutputBucket: false }, /outputBucket is required when no pipeline is given/],
    ['minConfidence is 101', { minConfidence: 101 }, /minConfidence must be a number from 0 to 100 \(given 101\)/],
    ['minConfidence is negative', { minConfidence: -0.5 }, /minConfidence must be a number from 0 to 100 \(given -0\.5\)/],
    ['jobName has spaces', { jobName: 'my moderation job' }, /jobName must be 1 to 64 characters of letters, digits, '_', '\.' and '-' \(given 'my moderation job'\)/],
    ['jobName is longer than 64 characters', { jobName: 'j'.repeat(65) }, /jobName must be 1 to 64 characters .*\(given 'j{37}\.\.\.'\)/],
    ['jobName is empty', { jobName: '' }, /jobName must be 1 to 64 characters .*\(given ''\)/],
    // The limit the handler applies to OutputPrefix, in bytes: 361 characters, 721 bytes.
    ['outputPrefix is 721 bytes', { outputPrefix: `${'é'.repeat(360)}/` }, /outputPrefix must be at most 700 bytes in UTF-8 \(is 721 bytes\)/],
    ['outputPrefix starts with a slash', { outputPrefix: '/deploy/' }, /outputPrefix must not start with '\/' .*\(given '\/deploy\/'\)/],
    ['manifestKey is empty', { manifestKey: '' }, /manifestKey must be 1 to 1024 characters long \(given 0 characters/],
    ['outputPrefix has whitespace', { outputPrefix: 'deploy time/' }, /outputPrefix must not contain whitespace.*\(given 'deploy time\/'\)/],
    ['completionTimeout is over 1 hour', { waitForCompletion: true, completionTimeout: Duration.minutes(61) },
      /completionTimeout must be between 1 and 60 minutes, the custom-resource provider's limit \(given 1 hour 1 minute\)/],
    ['completionTimeout is under 1 minute', { waitForCompletion: true, completionTimeout: Duration.seconds(30) },
      /completionTimeout must be between 1 and 60 minutes.*\(given 30 seconds\)/],
    ['pollInterval is under 10 seconds', { waitForCompletion: true, pollInterval: Duration.seconds(5) },
      /pollInterval must be between 10 seconds and 10 minutes \(given 5 seconds\)/],
    ['pollInterval is over 10 minutes', { waitForCompletion: true, pollInterval: Duration.minutes(11) },
      /pollInterval must be between 10 seconds and 10 minutes \(given 11 minutes\)/],
    ['completionTimeout is given without waitForCompletion', { completionTimeout: Duration.minutes(30) },
      /completionTimeout and pollInterval only apply with waitForCompletion: true/],
    ['pollInterval is given with waitForCompletion false', { waitForCompletion: false, pollInterval: Duration.minutes(1) },
      /completionTimeout and pollInterval only apply with waitForCompletion: true/],
  ])('fails if %s', (_case, options, message) => {
    expect(() => build(options)).toThrow(message);
  });

  test('names the construct in the error', () => {
    expect(() => build({ minConfidence: 101 })).toThrow(/^Invalid props for Stack\/Job:/);
  });

  test('reports every problem in one error', () => {
    // WHEN
    const lines = problems(() => build({
      withOutputBucket: false,
      minConfidence: 101,
      jobName: 'a b',
      completionTimeout: Duration.hours(2),
      pollInterval: Duration.seconds(1),
    }));

    // THEN
    expect(lines).toEqual([
      expect.stringMatching(/^- outputBucket is required/),
      expect.stringMatching(/^- minConfidence .*\(given 101\)$/),
      expect.stringMatching(/^- jobName .*\(given 'a b'\)$/),
      expect.stringMatching(/^- completionTimeout .*\(given 2 hours\)$/),
      expect.stringMatching(/^- pollInterval .*\(given 1 second\)$/),
      expect.stringMatching(/^- completionTimeout and pollInterval only apply with waitForCompletion: true$/),
    ]);
  });

  test('accepts the boundaries of every range', () => {
    expect(() => build({
      minConfidence: 0,
      jobName: 'j'.repeat(64),
      waitForCompletion: true,
      completionTimeout: Duration.minutes(1),
      pollInterval: Duration.seconds(10),
    })).not.toThrow();
    expect(() => build({
      minConfidence: 100,
      jobName: 'a_B.9-z',
      outputPrefix: '',
      waitForCompletion: true,
      completionTimeout: Duration.minutes(60),
      pollInterval: Duration.minutes(10),
    })).not.toThrow();
  });

  // BUG (lib/job/validate-job-props.ts): completionTimeout (1-60 min) and pollInterval
  // (10 s - 10 min) are checked one by one, but the Provider needs totalTimeout / queryInterval to be
  // a whole number (FACTS: "queryInterval divides it"). In-range pairs such as 60 min / 7 min or
  // 5 min / 10 min reach cr.Provider and fail synth with aws-cdk-lib's "Cannot determine retry count
  // since totalTimeout=3600s is not integrally dividable by queryInterval=420s", an error that names
  // neither prop of this construct (and pollInterval > completionTimeout is not caught at all).
  test.each<[string, Duration, Duration]>([
    ['pollInterval does not divide completionTimeout (60 min / 7 min)', Duration.minutes(60), Duration.minutes(7)],
    ['pollInterval is longer than completionTimeout (5 min / 10 min)', Duration.minutes(5), Duration.minutes(10)],
  ])('fails with a message naming pollInterval and completionTimeout if %s', (_case, completionTimeout, pollInterval) => {
    expect(() => build({ waitForCompletion: true, completionTimeout, pollInterval }))
      .toThrow(/Invalid props for Stack\/Job:[\s\S]*(pollInterval[\s\S]*completionTimeout|completionTimeout[\s\S]*pollInterval)/);
  });
});

describe('ModerationJob props given as tokens', () => {
  test('are not judged at synth time and reach the custom resource unchanged', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Stack');
    const minConfidence = new CfnParameter(stack, 'MinConfidence', { type: 'Number' }).valueAsNumber;
    const key = new CfnParameter(stack, 'ManifestKey', { type: 'String' }).valueAsString;

    // WHEN (a job name a literal would be rejected for, hidden behind a token)
    const job = new ModerationJob(stack, 'Job', {
      manifestBucket: s3.Bucket.fromBucketName(stack, 'Manifests', 'acme-manifests'),
      manifestKey: key,
      outputBucket: s3.Bucket.fromBucketName(stack, 'Results', 'acme-results'),
      minConfidence,
      jobName: Lazy.string({ produce: () => 'a job name with spaces' }),
    });

    // THEN
    const properties = resourceProperties(Template.fromStack(stack), logicalId(job.resource));
    expect(properties).toEqual(expect.objectContaining({
      ManifestKey: { Ref: 'ManifestKey' },
      MinConfidence: { Ref: 'MinConfidence' },
      JobName: 'a job name with spaces',
    }));
  });
});
