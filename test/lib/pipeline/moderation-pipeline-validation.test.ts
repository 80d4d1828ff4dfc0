import { App, CfnParameter, Duration, Lazy, Stack, Token } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ModerationPipeline, ModerationPipelineProps } from '../../../lib';
import { readTriggerSettings } from '../../../lib/trigger/trigger-contract';
import { logicalId, resourceProperties } from '../../support/synth-helpers';

/** Builds a pipeline in a new stack; `props` may create what it needs in that stack. */
function build(props: ModerationPipelineProps | ((stack: Stack) => ModerationPipelineProps)): { stack: Stack; pipeline: ModerationPipeline } {
  const stack = new Stack(new App(), 'Stack');
  const pipeline = new ModerationPipeline(stack, 'Pipeline', typeof props === 'function' ? props(stack) : props);
  return { stack, pipeline };
}

function throws(action: () => unknown): boolean {
  try {
    action();
    return false;
  } catch {
    return true;
  }
}

/** Escapes a literal for use in a RegExp. */
function literal(text: string): RegExp {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
}

describe('ModerationPipeline props validation', () => {
  test.each<[string, ModerationPipelineProps, RegExp]>([
    ['minConfidence is above 100', { minConfidence: 101 }, /minConfidence must be a number from 0 to 100 \(given 101\)/],
    ['minConfidence is negative', { minConfidence: -1 }, /minConfidence must be a number from 0 to 100 \(given -1\)/],
    ['minConfidence is NaN', { minConfidence: NaN }, /minConfidence .*\(given NaN\)/],
    ['projectVersion is not a project version ARN', { projectVersion: 'arn:aws:rekognition:eu-west-1:123456789012:project/moderation/1700000000000' },
      /projectVersion must be the ARN of a Rekognition project version.*\(given 'arn:aws:rekognition:eu-west-1:123456789012:project\/moderation\/1700000000000'\)/],
    ['projectVersion is a name, not an ARN', { projectVersion: 'my-adapter' }, /projectVersion .*\(given .*'my-adapter'\)/],
    ['outputPrefix contains whitespace', { outputPrefix: 'mod results/' }, /outputPrefix must not contain whitespace.*\(given 'mod results\/'\)/],
    ['outputPrefix contains a tab', { outputPrefix: 'results\t/' }, /outputPrefix must not contain whitespace/],
    ['outputPrefix is longer than 700 bytes', { outputPrefix: `${'r'.repeat(700)}/` }, /outputPrefix must be at most 700 bytes in UTF-8 \(is 701 bytes\) \(given 'r{37}\.\.\.'\)/],
    // 361 characters, 721 bytes: the trigger counts bytes, as Rekognition does, and so does synth.
    ['outputPrefix is 361 characters but 721 bytes', { outputPrefix: `${'é'.repeat(360)}/` }, /outputPrefix must be at most 700 bytes in UTF-8 \(is 721 bytes\) \(given 'é{37}\.\.\.'\)/],
    ['outputPrefix starts with a slash', { outputPrefix: '/results/' }, /outputPrefix must not start with '\/'.*\(given '\/results\/'\)/],
    ['outputPrefix holds a double slash', { outputPrefix: 'results//' }, /outputPrefix must not contain '\/\/'.*\(given 'results\/\/'\)/],
    ['manifestPrefix starts with a slash', { manifestPrefix: '/x' }, /manifestPrefix must not start with '\/'.*\(given '\/x'\)/],
    ['manifestPrefix holds a double slash', { manifestPrefix: 'in//manifests/' }, /manifestPrefix must not contain '\/\/'.*\(given 'in\/\/manifests\/'\)/],
    ['jobNamePrefix has characters a job name cannot hold', { jobNamePrefix: 'acme moderation!' },
      /jobNamePrefix must be at most 40 characters of letters, digits, '_', '.' and '-' \(given 'acme moderation!'\)/],
    ['jobNamePrefix has a slash', { jobNamePrefix: 'acme/' }, /jobNamePrefix must be .*\(given 'acme\/'\)/],
    ['jobNamePrefix is longer than 40 characters', { jobNamePrefix: 'j'.repeat(41) }, /jobNamePrefix must be at most 40 characters .*\(given 'j{37}\.\.\.'\)/],
    ['triggerBatchSize is 0', { triggerBatchSize: 0 }, /triggerBatchSize must be an integer between 1 and 10 \(given 0\)/],
    ['triggerBatchSize is 11', { triggerBatchSize: 11 }, /triggerBatchSize must be an integer between 1 and 10 \(given 11\)/],
    ['triggerBatchSize is not an integer', { triggerBatchSize: 1.5 }, /triggerBatchSize must be an integer between 1 and 10 \(given 1\.5\)/],
    ['triggerMaxConcurrency is 1', { triggerMaxConcurrency: 1 }, /triggerMaxConcurrency must be an integer between 2 and 1000 \(given 1\)/],
    ['triggerMaxConcurrency is 1001', { triggerMaxConcurrency: 1001 }, /triggerMaxConcurrency must be an integer between 2 and 1000 \(given 1001\)/],
    ['maxReceiveCount is 4', { maxReceiveCount: 4 }, /maxReceiveCount must be an integer between 5 and 1000 \(given 4\)/],
    ['unexpectedErrorAttempts equals maxReceiveCount', { maxReceiveCount: 10, unexpectedErrorAttempts: 10 },
      /unexpectedErrorAttempts must be an integer between 1 and 9 \(given 10\)/],
    ['unexpectedErrorAttempts exceeds the default maxReceiveCount', { unexpectedErrorAttempts: 100 },
      /unexpectedErrorAttempts must be an integer between 1 and 99 \(given 100\)/],
    ['unexpectedErrorAttempts is 0', { unexpectedErrorAttempts: 0 }, /unexpectedErrorAttempts must be an integer between 1 and 99 \(given 0\)/],
    ['triggerTimeout is 5 seconds', { triggerTimeout: Duration.seconds(5) }, /triggerTimeout must be between 10 seconds and 15 minutes \(given 5 seconds\)/],
    ['triggerTimeout is 16 minutes', { triggerTimeout: Duration.minutes(16) }, /triggerTimeout must be between 10 seconds and 15 minutes \(given 16 minutes\)/],
    ['manifestSuffixes is empty', { manifestSuffixes: [] }, /manifestSuffixes must name at least one suffix \(given \[\]\)/],
    ['manifestSuffixes overlap', { manifestSuffixes: ['.jsonl', 'l'] }, /manifestSuffixes must not overlap: '\.jsonl' ends with 'l'/],
    ['manifestSuffixes repeat a suffix', { manifestSuffixes: ['.jsonl', '.jsonl'] }, /manifestSuffixes must not repeat a suffix \(given \[\.jsonl, \.jsonl\]\)/],
    ['manifestSuffixes hold an empty suffix', { manifestSuffixes: ['.jsonl', ''] }, /manifestSuffixes must not contain an empty suffix/],
  ])('fails if %s', (_case, props, message) => {
    expect(() => build(props)).toThrow(message);
  });

  test('names the construct in the error', () => {
    expect(() => build({ minConfidence: 101 })).toThrow(/Invalid props for Stack\/Pipeline/);
  });

  test.each<[string, string, string]>([
    ['the output prefix lies under the manifest prefix', 'manifests/', 'manifests/results/'],
    ['the manifest prefix lies under the output prefix', 'results/manifests/', 'results/'],
    ['the manifest prefix is the whole bucket', '', 'results/'],
    ['both prefixes are equal', 'jobs/', 'jobs/'],
  ])('fails if inputBucket and outputBucket are the same bucket and %s', (_case, manifestPrefix, outputPrefix) => {
    expect(() => build((stack) => {
      const bucket = new s3.Bucket(stack, 'Bucket');
      return { inputBucket: bucket, outputBucket: bucket, manifestPrefix, outputPrefix };
    })).toThrow(literal(`outputPrefix ('${outputPrefix}') and manifestPrefix ('${manifestPrefix}') must not overlap`));
  });

  test('accepts the same bucket for input and output with disjoint prefixes', () => {
    expect(() => build((stack) => {
      const bucket = new s3.Bucket(stack, 'Bucket');
      return { inputBucket: bucket, outputBucket: bucket, manifestPrefix: 'manifests/', outputPrefix: 'manifests-results/' };
    })).not.toThrow();
  });

  test('fails if accessLogsBucket is given with both inputBucket and outputBucket', () => {
    expect(() => build((stack) => ({
      inputBucket: s3.Bucket.fromBucketName(stack, 'Input', 'acme-manifests'),
      outputBucket: s3.Bucket.fromBucketName(stack, 'Output', 'acme-results'),
      accessLogsBucket: s3.Bucket.fromBucketName(stack, 'Logs', 'acme-logs'),
    }))).toThrow(/accessLogsBucket is only used for buckets the construct creates, but both inputBucket and outputBucket were given/);
  });

  test("reports the issue's bad inputs together, each naming prop and value", () => {
    expect(() => build({ outputPrefix: `${'é'.repeat(360)}/`, manifestPrefix: '/x', jobNamePrefix: 'a b' }))
      .toThrow(/^Invalid props for Stack\/Pipeline:\n- manifestPrefix must not start with '\/'.*\(given '\/x'\)\n- outputPrefix must be at most 700 bytes.*\(given 'é+\.\.\.'\)\n- jobNamePrefix .*\(given 'a b'\)$/);
  });

  // The construct and the trigger judge with the same functions: whatever synth accepts, the
  // handler reads back; whatever it refuses, the handler would refuse too.
  test.each<[string, string, string]>([
    ['outputPrefix', 'OUTPUT_PREFIX', `${'é'.repeat(349)}/`],
    ['outputPrefix', 'OUTPUT_PREFIX', `${'é'.repeat(350)}/`],
    ['outputPrefix', 'OUTPUT_PREFIX', 'a//b/'],
    ['outputPrefix', 'OUTPUT_PREFIX', 'tab\t/'],
    ['jobNamePrefix', 'JOB_NAME_PREFIX', 'j'.repeat(40)],
    ['jobNamePrefix', 'JOB_NAME_PREFIX', 'job:'],
  ])('agrees with the trigger handler on %s %p', (prop, variable, value) => {
    const synthFails = throws(() => build({ [prop]: value }));
    const handlerFails = throws(() => readTriggerSettings({ OUTPUT_BUCKET: 'results-bucket', [variable]: value }));

    expect(synthFails).toBe(handlerFails);
  });

  test('reports every problem in one error', () => {
    // WHEN
    let error: Error | undefined;
    try {
      build({ minConfidence: 101, triggerBatchSize: 11, jobNamePrefix: 'a b', manifestSuffixes: [] });
    } catch (e) {
      error = e as Error;
    }

    // THEN
    expect(error).toBeDefined();
    const lines = error!.message.split('\n').filter((line) => line.startsWith('- '));
    expect(lines).toEqual([
      expect.stringMatching(/^- minConfidence .*\(given 101\)$/),
      expect.stringMatching(/^- jobNamePrefix .*\(given 'a b'\)$/),
      expect.stringMatching(/^- triggerBatchSize .*\(given 11\)$/),
      expect.stringMatching(/^- manifestSuffixes .*\(given \[\]\)$/),
    ]);
  });

  test('accepts the boundaries of every range', () => {
    expect(() => build({
      minConfidence: 0,
      triggerBatchSize: 1,
      triggerMaxConcurrency: 2,
      maxReceiveCount: 5,
      unexpectedErrorAttempts: 4,
      triggerTimeout: Duration.seconds(10),
      outputPrefix: `${'r'.repeat(699)}/`,
      jobNamePrefix: 'j'.repeat(40),
    })).not.toThrow();
    expect(() => build({
      minConfidence: 100,
      triggerBatchSize: 10,
      triggerMaxConcurrency: 1000,
      maxReceiveCount: 1000,
      unexpectedErrorAttempts: 999,
      triggerTimeout: Duration.minutes(15),
      outputPrefix: '',
      jobNamePrefix: '',
      projectVersion: 'arn:aws-cn:rekognition:cn-north-1:123456789012:project/p/version/v/1',
    })).not.toThrow();
  });
});

describe('ModerationPipeline props given as tokens', () => {
  test('are not judged at synth time and reach the template unchanged', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Stack');
    const minConfidence = new CfnParameter(stack, 'MinConfidence', { type: 'Number' });
    const adapter = new CfnParameter(stack, 'Adapter', { type: 'String' });
    const prefix = new CfnParameter(stack, 'Prefix', { type: 'String' });
    const attempts = new CfnParameter(stack, 'Attempts', { type: 'Number' });
    const outOfRange = (value: number) => Token.asNumber(Lazy.number({ produce: () => value }));

    // WHEN (values a literal would be rejected for, hidden behind tokens)
    const pipeline = new ModerationPipeline(stack, 'Pipeline', {
      minConfidence: minConfidence.valueAsNumber,
      projectVersion: adapter.valueAsString,
      outputPrefix: prefix.valueAsString,
      jobNamePrefix: Lazy.string({ produce: () => 'job prefix with spaces' }),
      triggerBatchSize: outOfRange(10),
      triggerMaxConcurrency: outOfRange(3),
      maxReceiveCount: outOfRange(7),
      unexpectedErrorAttempts: attempts.valueAsNumber,
    });

    // THEN
    const template = Template.fromStack(stack);
    const variables = resourceProperties(template, logicalId(pipeline.triggerFunction)).Environment.Variables;
    expect(variables).toEqual(expect.objectContaining({
      MIN_CONFIDENCE: { Ref: 'MinConfidence' },
      PROJECT_VERSION: { Ref: 'Adapter' },
      OUTPUT_PREFIX: { Ref: 'Prefix' },
      UNEXPECTED_ERROR_ATTEMPTS: { Ref: 'Attempts' },
      JOB_NAME_PREFIX: 'job prefix with spaces',
    }));
    expect(resourceProperties(template, logicalId(pipeline.manifestQueue)).RedrivePolicy.maxReceiveCount).toBe(7);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 10, ScalingConfig: { MaximumConcurrency: 3 } });
  });

  test('does not judge token suffixes', () => {
    expect(() => build((stack) => ({
      manifestSuffixes: [new CfnParameter(stack, 'Suffix', { type: 'String' }).valueAsString, '.jsonl'],
    }))).not.toThrow();
  });

  test('accepts a token manifestPrefix and outputPrefix in separate buckets (the handler checks the output prefix when it reads it)', () => {
    expect(() => build((stack) => ({
      manifestPrefix: new CfnParameter(stack, 'ManifestPrefix', { type: 'String' }).valueAsString,
      outputPrefix: new CfnParameter(stack, 'OutputPrefix', { type: 'String' }).valueAsString,
    }))).not.toThrow();
  });

  // In one bucket only concrete prefixes can be proven apart: otherwise results could start jobs without end.
  test('fails if manifestPrefix or outputPrefix is a token when inputBucket and outputBucket are the same bucket, naming both in one message', () => {
    expect(() => build((stack) => {
      const bucket = new s3.Bucket(stack, 'Bucket');
      return {
        inputBucket: bucket,
        outputBucket: bucket,
        manifestPrefix: new CfnParameter(stack, 'ManifestPrefix', { type: 'String' }).valueAsString,
        outputPrefix: Lazy.string({ produce: () => 'results/' }),
      };
    })).toThrow(/Invalid props for Stack\/Pipeline:\n- manifestPrefix must be a concrete string, not a token, when inputBucket and outputBucket are the same bucket.*\n- outputPrefix must be a concrete string, not a token/);
  });

  test('does not judge a token triggerMaxConcurrency or maxReceiveCount from a CfnParameter', () => {
    expect(() => build((stack) => ({
      triggerMaxConcurrency: new CfnParameter(stack, 'Concurrency', { type: 'Number' }).valueAsNumber,
      maxReceiveCount: new CfnParameter(stack, 'Receives', { type: 'Number' }).valueAsNumber,
    }))).not.toThrow();
  });

  // CloudFormation has no multiplication, so a token timeout cannot give the 6x visibility timeout.
  test('fails with a message naming triggerTimeout if triggerTimeout is a token', () => {
    expect(() => build((stack) => ({
      triggerTimeout: Duration.seconds(new CfnParameter(stack, 'Timeout', { type: 'Number' }).valueAsNumber),
    }))).toThrow(/triggerTimeout/);
  });
});
