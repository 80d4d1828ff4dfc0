import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ACTIONS_HANDLER, actionsEnvironment, ModerationTag } from './actions-contract';
import { ModerationPolicy } from './moderation-policy';
import { grantWithReason } from '../common/grants';
import { grantListResultsAndKey } from '../common/results-folder-grants';
import { HandlerFunction } from '../common/handler-function';
import { tokenAwareString } from '../common/token-string';

export interface ModerationActionsProps {
  readonly policy: ModerationPolicy;
  /** The threshold of rules that give none: the pipeline's minConfidence (may be a token), else 50. */
  readonly defaultMinConfidence: number;
  readonly pipelineId: string;
  /** The buckets whose objects are tagged. */
  readonly imageBuckets: s3.IBucket[];
  /** Where manifests (and the image-versions files beside them) are. */
  readonly manifestBucket: s3.IBucket;
  readonly manifestPrefix: string;
  readonly outputBucket: s3.IBucket;
  readonly outputPrefix: string;
  readonly encryptionKey: kms.IKey;
  readonly eventBus: events.IEventBus;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The function that applies a ModerationPolicy to every image of a finished job (tags, events),
 * invoked by the workflows before the completion event (lib/actions/actions-step.ts).
 */
export class ModerationActions extends Construct {
  public readonly handler: HandlerFunction;

  constructor(scope: Construct, id: string, props: ModerationActionsProps) {
    super(scope, id);
    const { document, thresholds } = props.policy._document(props.defaultMinConfidence);
    this.handler = new HandlerFunction(this, 'Function', {
      asset: 'actions',
      exportName: ACTIONS_HANDLER,
      description: 'Applies the moderation policy to every image of a finished job: object tags, quarantine tags and per-image events',
      // One invocation streams a whole results file (10,000 images take well under a minute);
      // should it run out of time it checkpoints and the workflow invokes it again.
      timeout: Duration.minutes(15),
      memorySize: 512,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      environment: actionsEnvironment({
        policy: document,
        thresholds,
        pipelineId: props.pipelineId,
        eventBusName: props.eventBus.eventBusArn,
        kmsKeyId: props.encryptionKey.keyArn,
      }, tokenAwareString),
    });
    this.grantAccess(props);
  }

  private grantAccess(props: ModerationActionsProps): void {
    const role = this.handler.role;
    grantWithReason(role, {
      sid: 'ReadResultsWriteReport',
      actions: ['s3:GetObject', 's3:PutObject'],
      resources: [props.outputBucket.arnForObjects(`${props.outputPrefix}*`)],
      reason: 'The actions function reads each job\'s results and writes its actions report and checkpoint in per-manifest folders below the output prefix, named at run time.',
    });
    // A checkpoint not written yet must read as NoSuchKey.
    grantListResultsAndKey(role, props);
    grantWithReason(role, {
      sid: 'ReadImageVersions',
      actions: ['s3:GetObject'],
      resources: [props.manifestBucket.arnForObjects(`${props.manifestPrefix}*`)],
      reason: 'The actions function reads the image-versions file beside each manifest (named after the manifest, anywhere below the manifest prefix) to tag the version that was moderated.',
    });
    // Without it S3 answers AccessDenied for a manifest that has no image-versions file.
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ListManifests',
      actions: ['s3:ListBucket'],
      resources: [props.manifestBucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${props.manifestPrefix}*`] } },
    }));
    const images = props.imageBuckets.map((bucket) => bucket.arnForObjects('*'));
    grantWithReason(role, {
      sid: 'ReadImageTags',
      actions: ['s3:GetObjectTagging', 's3:GetObjectVersionTagging'],
      resources: images,
      reason: 'Images may be anywhere in the image buckets (the manifests name them); the function reads their tags to keep them when it adds its own.',
    });
    grantWithReason(role, {
      sid: 'WriteModerationTags',
      actions: ['s3:PutObjectTagging', 's3:PutObjectVersionTagging'],
      resources: images,
      // PutObjectTagging replaces the whole tag set, so a request must carry the object's own
      // tags too: the keys cannot be limited to moderation:*, only required to include its status.
      conditions: { 'ForAnyValue:StringEquals': { 's3:RequestObjectTagKeys': [ModerationTag.STATUS] } },
      reason: 'Images may be anywhere in the image buckets (the manifests name them); every tag set written must include moderation:status.',
    });
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'PublishImageEvents',
      actions: ['events:PutEvents'],
      resources: [props.eventBus.eventBusArn],
    }));
  }
}
