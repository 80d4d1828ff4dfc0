import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { HandlerFunction } from '../common/handler-function';
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
    const write = (sid: string) => new iam.PolicyStatement({ sid, actions: ['s3:PutObject', 's3:AbortMultipartUpload'], resources: [outputObjects] });
    const key = (...actions: string[]) => new iam.PolicyStatement({ sid: 'UsePipelineKey', actions, resources: [props.encryptionKey.keyArn] });

    const manifests = props.manifestBucket
      ? [props.manifestBucket.arnForObjects(`${props.manifestPrefix ?? ''}*`)]
      : props.imageBuckets.map((bucket) => bucket.arnForObjects('*'));
    add(this.prepare.role,
      new iam.PolicyStatement({ sid: 'ReadManifest', actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: manifests }),
      write('WriteItems'),
      key('kms:Decrypt', 'kms:GenerateDataKey'));

    add(this.batch.role,
      new iam.PolicyStatement({
        sid: 'ModerateImages',
        actions: ['rekognition:DetectModerationLabels'],
        // Without an adapter the action is granted on '*' (no resource to name).
        resources: [props.projectVersion ?? '*'],
      }),
      // Rekognition reads each image with the caller's permissions.
      new iam.PolicyStatement({ sid: 'ReadImages', actions: ['s3:GetObject'], resources: props.imageBuckets.map((bucket) => bucket.arnForObjects('*')) }),
      write('SpillLargeBatches'),
      key('kms:Decrypt', 'kms:GenerateDataKey'));

    add(this.finalize.role,
      new iam.PolicyStatement({ sid: 'ReadRoundResults', actions: ['s3:GetObject'], resources: [outputObjects] }),
      write('WriteResults'),
      key('kms:Decrypt', 'kms:GenerateDataKey'));
  }
}

function add(role: iam.IRole, ...statements: iam.PolicyStatement[]): void {
  for (const statement of statements) role.addToPrincipalPolicy(statement);
}
