import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { HandlerFunction } from '../common/handler-function';
import { grantWithReason } from '../common/grants';
import { PerImageEnvironment as Env } from './per-image-contract';
import type { PerImageSizing } from './per-image-sizing';
import type { PerImageWorkflowProps } from './per-image-workflow-props';

/** The workflow's settings the functions need, with the workflow's sizing of a run. */
export interface PerImageFunctionsProps extends Pick<PerImageWorkflowProps,
  'outputBucket' | 'outputPrefix' | 'encryptionKey' | 'imageBuckets' | 'manifestBucket' | 'manifestPrefix'
  | 'minConfidence' | 'projectVersion' | 'maxFailureShare' | 'logRetention' | 'removalPolicy'> {
  readonly sizing: PerImageSizing;
  readonly maxRounds: number;
}

/** Express children may run 5 minutes: the batch function must answer before that. */
export const BATCH_TIMEOUT = Duration.minutes(4);

/** The per-image engine's three handlers, each with its own role and only the access it needs. */
export class PerImageFunctions extends Construct {
  public readonly prepare: HandlerFunction;
  public readonly batch: HandlerFunction;
  public readonly finalize: HandlerFunction;

  constructor(scope: Construct, id: string, props: PerImageFunctionsProps) {
    super(scope, id);
    const common = { logRetention: props.logRetention, removalPolicy: props.removalPolicy };
    const kmsKey = { [Env.KMS_KEY_ID]: props.encryptionKey.keyArn };
    // Prepare and Finalize size each round's batches (ItemBatcher MaxItemsPerBatchPath).
    const batching = {
      [Env.MAP_CONCURRENCY]: String(props.sizing.maxConcurrency),
      [Env.MAX_ITEMS_PER_BATCH]: String(props.sizing.itemsPerBatch),
    };

    this.prepare = new HandlerFunction(this, 'Prepare', {
      ...common,
      asset: 'per-image-prepare',
      description: 'Splits a manifest into the images to moderate and the lines that name none (per-image engine)',
      timeout: Duration.minutes(5),
      memorySize: 512,
      environment: { ...kmsKey, ...batching },
    });
    this.batch = new HandlerFunction(this, 'Batch', {
      ...common,
      asset: 'per-image-batch',
      description: 'Moderates a batch of images with DetectModerationLabels at a paced rate (per-image engine)',
      timeout: BATCH_TIMEOUT,
      memorySize: 256,
      environment: {
        ...kmsKey,
        [Env.CALLS_PER_SECOND]: String(props.sizing.callsPerSecondPerChild),
        [Env.MAX_IN_FLIGHT]: String(props.sizing.maxInFlight),
        ...(props.minConfidence !== undefined && { [Env.MIN_CONFIDENCE]: String(props.minConfidence) }),
        ...(props.projectVersion !== undefined && { [Env.PROJECT_VERSION]: props.projectVersion }),
      },
    });
    this.finalize = new HandlerFunction(this, 'Finalize', {
      ...common,
      asset: 'per-image-finalize',
      description: 'Collects a manifest\'s per-image results and writes them in the bulk analysis format (per-image engine)',
      timeout: Duration.minutes(10),
      // Holds one result per valid line (at most 10,000) while it writes them in manifest order.
      memorySize: 1024,
      environment: {
        ...kmsKey,
        ...batching,
        [Env.MAX_FAILURE_SHARE]: String(props.maxFailureShare),
        [Env.MAX_ROUNDS]: String(props.maxRounds),
      },
    });
    this.grant(props);
  }

  private grant(props: PerImageFunctionsProps): void {
    const outputObjects = props.outputBucket.arnForObjects(`${props.outputPrefix}*`);
    const write = (role: iam.IRole, sid: string, reason: string) => grantWithReason(role, { sid, actions: ['s3:PutObject', 's3:AbortMultipartUpload'], resources: [outputObjects], reason });
    const useKey = (role: iam.IRole) => role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'UsePipelineKey', actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [props.encryptionKey.keyArn] }));
    const imageObjects = props.imageBuckets.map((bucket) => bucket.arnForObjects('*'));

    const prepare = this.prepare.role;
    grantWithReason(prepare, {
      sid: 'ReadManifest',
      actions: ['s3:GetObject', 's3:GetObjectVersion'],
      ...props.manifestBucket
        ? {
          resources: [props.manifestBucket.arnForObjects(`${props.manifestPrefix ?? ''}*`)],
          reason: 'Prepare reads whichever manifest an S3 event names, any key below the manifest prefix, known only at run time.',
        }
        : { resources: imageObjects, reason: 'Prepare reads whichever manifest an S3 event names; manifests may be in any of the pipeline\'s buckets.' },
    });
    write(prepare, 'WriteItems', 'Prepare writes the items of each manifest into that manifest\'s folder below the output prefix, named at run time.');
    useKey(prepare);

    const batch = this.batch.role;
    grantWithReason(batch, {
      sid: 'ModerateImages',
      actions: ['rekognition:DetectModerationLabels'],
      resources: [props.projectVersion ?? '*'],
      reason: 'rekognition:DetectModerationLabels names no resource unless an adapter is used, so it can only be granted on "*".',
    });
    grantWithReason(batch, {
      sid: 'ReadImages',
      actions: ['s3:GetObject'],
      resources: imageObjects,
      reason: 'Rekognition reads every image a manifest lists with the caller\'s permissions; manifests may name any image key in this bucket.',
    });
    write(batch, 'SpillLargeBatches', 'A batch whose results exceed the Step Functions payload limit writes them into its manifest\'s folder below the output prefix, named at run time.');
    useKey(batch);

    const finalize = this.finalize.role;
    grantWithReason(finalize, {
      sid: 'ReadRoundResults',
      actions: ['s3:GetObject'],
      resources: [outputObjects],
      reason: 'Finalize reads the Map results of each round in its manifest\'s folder below the output prefix, named at run time.',
    });
    write(finalize, 'WriteResults', 'Finalize writes the output manifest and summary in each manifest\'s folder below the output prefix, named at run time.');
    useKey(finalize);
  }
}
