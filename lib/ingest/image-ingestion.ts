import { Duration } from 'aws-cdk-lib';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { PropErrors } from '../common/prop-errors';
import { DEFAULT_IMAGE_SUFFIXES, DEFAULT_MAX_WAIT_SECONDS, MAX_IMAGES_PER_MANIFEST } from './ingest-contract';
import { ImageBatcher, type ImageBatcherPipelineProps } from './image-batcher';
import { checkImageIngestion, type IngestionPipelineProps } from './validate-image-ingestion';

/**
 * Options of {@link ImageIngestion.fromPrefix}.
 */
export interface ImageIngestionOptions {
  /**
   * Key suffixes of the objects moderated, compared in any letter case. Every other object
   * uploaded under the prefix is listed in a skip report instead.
   *
   * @default ['.jpg', '.jpeg', '.png']
   */
  readonly suffixes?: string[];

  /**
   * Most images in one manifest (1-10,000, Rekognition's limit). A manifest is also kept within
   * 50 MB: a batch whose lines would pass that is cut into several manifests.
   *
   * @default 10000
   */
  readonly maxImagesPerManifest?: number;

  /**
   * Longest time an upload waits for its batch to fill before a manifest is written with what has
   * arrived (1 second to 5 minutes: the batching window of the queue's event source).
   *
   * @default Duration.minutes(5)
   */
  readonly maxWait?: Duration;

  /**
   * The bucket the images are uploaded to. The pipeline's role for Rekognition gets read access
   * to it. A bucket created in the same stack gets the event notification; for an imported one the
   * construct cannot add it, and a synth warning gives the exact notification to add.
   *
   * @default - the pipeline's input bucket
   */
  readonly bucket?: s3.IBucket;
}

/**
 * Images moderated as they land: every new object under a prefix is batched into manifests
 * (up to `maxImagesPerManifest` images, or after `maxWait`) that the pipeline then moderates.
 */
export class ImageIngestion {
  /**
   * Moderates every image uploaded under `prefix` ('' for the whole bucket) of the pipeline's
   * input bucket, or of `options.bucket`.
   */
  public static fromPrefix(prefix: string, options: ImageIngestionOptions = {}): ImageIngestion {
    return new ImageIngestion(prefix, options);
  }

  /** The key prefix the images are uploaded under. */
  public readonly prefix: string;
  /** Key suffixes of the objects moderated (any letter case). */
  public readonly suffixes: string[];
  /** Most images in one manifest. */
  public readonly maxImagesPerManifest: number;
  /** Longest wait for a batch to fill. */
  public readonly maxWait: Duration;
  /** The bucket of the images, when not the pipeline's input bucket. */
  public readonly bucket?: s3.IBucket;

  private constructor(prefix: string, options: ImageIngestionOptions) {
    this.prefix = prefix;
    this.suffixes = options.suffixes ?? [...DEFAULT_IMAGE_SUFFIXES];
    this.maxImagesPerManifest = options.maxImagesPerManifest ?? MAX_IMAGES_PER_MANIFEST;
    this.maxWait = options.maxWait ?? Duration.seconds(DEFAULT_MAX_WAIT_SECONDS);
    this.bucket = options.bucket;
  }

  /**
   * Adds every problem of these options, and every way they would make the pipeline feed itself,
   * to the pipeline's errors.
   * @internal
   */
  public _checkPipelineOptions(errors: PropErrors, pipeline: IngestionPipelineProps): void {
    checkImageIngestion(errors, this, pipeline);
  }

  /** Builds the queue, the batcher and the notification. @internal */
  public _bind(scope: Construct, id: string, options: ImageBatcherPipelineProps): ImageBatcher {
    return new ImageBatcher(scope, id, {
      imageBucket: this.bucket ?? options.inputBucket,
      prefix: this.prefix,
      suffixes: this.suffixes,
      maxImagesPerManifest: this.maxImagesPerManifest,
      maxWait: this.maxWait,
      ...options,
    });
  }
}
