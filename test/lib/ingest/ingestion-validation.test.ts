import { App, Aws, Duration, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ImageIngestion, ModerationPipeline, ModerationPipelineProps } from '../../../lib';

function synth(props: ModerationPipelineProps | ((stack: Stack) => ModerationPipelineProps)): () => void {
  return () => {
    const stack = new Stack(new App(), 'Stack');
    new ModerationPipeline(stack, 'Pipeline', typeof props === 'function' ? props(stack) : props);
  };
}

describe('imageIngestion validation', () => {
  test.each([
    ['the manifest prefix itself', 'manifests/', {}, /imageIngestion prefix \('manifests\/'\) must not overlap manifestPrefix \('manifests\/'\)/],
    ['a prefix below the manifest prefix', 'manifests/photos/', {}, /imageIngestion prefix \('manifests\/photos\/'\) must not overlap manifestPrefix \('manifests\/'\)/],
    ['a prefix above the manifest prefix', '', {}, /imageIngestion prefix \(''\) must not overlap manifestPrefix \('manifests\/'\)/],
    ['a manifest prefix of the whole bucket', 'uploads/', { manifestPrefix: '' }, /imageIngestion prefix \('uploads\/'\) must not overlap manifestPrefix \(''\)/],
  ])('fails if the ingest prefix overlaps the manifest prefix: %s', (_name, prefix, props, message) => {
    expect(synth({ ...props, imageIngestion: ImageIngestion.fromPrefix(prefix) })).toThrow(message);
  });

  test('fails if the ingest prefix overlaps the output prefix in one bucket', () => {
    expect(synth((stack) => {
      const bucket = new s3.Bucket(stack, 'Shared');
      return { inputBucket: bucket, outputBucket: bucket, outputPrefix: 'results/', imageIngestion: ImageIngestion.fromPrefix('results/images/') };
    })).toThrow(/imageIngestion prefix \('results\/images\/'\) must not overlap outputPrefix \('results\/'\)/);
  });

  test('fails if an ingest bucket that is the output bucket overlaps the output prefix', () => {
    expect(synth((stack) => {
      const output = new s3.Bucket(stack, 'Output');
      return { outputBucket: output, imageIngestion: ImageIngestion.fromPrefix('', { bucket: output }) };
    })).toThrow(/imageIngestion prefix \(''\) must not overlap outputPrefix \('results\/'\)/);
  });

  test('accepts an ingest prefix that overlaps the output prefix of another bucket', () => {
    expect(synth({ imageIngestion: ImageIngestion.fromPrefix('results/') })).not.toThrow();
  });

  test('accepts any prefix of a bucket that holds neither manifests nor results', () => {
    expect(synth((stack) => ({ imageIngestion: ImageIngestion.fromPrefix('', { bucket: new s3.Bucket(stack, 'Photos') }) }))).not.toThrow();
  });

  test('fails if the prefixes cannot be compared at synth (a token) in the same bucket', () => {
    expect(synth({ imageIngestion: ImageIngestion.fromPrefix(`${Aws.STACK_NAME}/`) }))
      .toThrow(/imageIngestion prefix and manifestPrefix must be concrete strings, not tokens/);
  });

  test.each([
    [{ maxImagesPerManifest: 10_001 }, /imageIngestion maxImagesPerManifest must be a whole number from 1 to 10000 \(given 10001\)/],
    [{ maxImagesPerManifest: 0 }, /imageIngestion maxImagesPerManifest must be a whole number from 1 to 10000 \(given 0\)/],
    [{ maxWait: Duration.minutes(6) }, /imageIngestion maxWait must be whole seconds from 1 second to 5 minutes.*\(given 6 minutes\)/],
    [{ maxWait: Duration.millis(500) }, /imageIngestion maxWait must be whole seconds/],
    [{ suffixes: [] }, /imageIngestion suffixes must name at least one suffix \(given \[\]\)/],
    [{ suffixes: [''] }, /imageIngestion suffixes must be a non-empty suffix/],
  ])('fails on options %o', (options, message) => {
    expect(synth({ imageIngestion: ImageIngestion.fromPrefix('uploads/', options) })).toThrow(message);
  });

  test('fails if a manifest suffix would make skip reports manifests', () => {
    expect(synth({ manifestSuffixes: ['.json'], imageIngestion: ImageIngestion.fromPrefix('uploads/') }))
      .toThrow(/manifestSuffixes must not contain '.json' with imageIngestion/);
    expect(synth({ manifestSuffixes: ['versions.json'], imageIngestion: ImageIngestion.fromPrefix('uploads/') }))
      .toThrow(/manifestSuffixes must not contain 'versions.json' with imageIngestion: image-versions files \('\*\.image-versions\.json'\) would be taken for manifests/);
  });
});
