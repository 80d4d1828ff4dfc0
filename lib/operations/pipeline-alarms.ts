import { Annotations, Aws, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { PipelineMetrics } from './pipeline-metrics';

export { METRIC_NAMESPACE } from './pipeline-metrics';

export interface PipelineAlarmsProps {
  readonly metrics: PipelineMetrics;
  readonly maxManifestWait: Duration;
  /** The topic every alarm notifies; without one, the alarms get a topic of their own encrypted with `encryptionKey`. */
  readonly alarmTopic?: sns.ITopic;
  readonly encryptionKey: kms.IKey;
}

export interface PipelineAlarms {
  readonly alarms: cloudwatch.Alarm[];
  /** The topic every alarm notifies. */
  readonly alarmTopic: sns.ITopic;
}

/**
 * The alarms an operator needs to know that something went wrong, and nothing else, created in
 * `scope` (the pipeline's 'Alarms' construct), each notifying the alarm topic.
 */
export function createPipelineAlarms(scope: Construct, props: PipelineAlarmsProps): PipelineAlarms {
  const { metrics } = props;
  const alarmAt = (
    id: string,
    description: string,
    metric: cloudwatch.IMetric,
    threshold = 1,
    comparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
  ) => new cloudwatch.Alarm(scope, id, {
    alarmDescription: description,
    metric,
    threshold,
    evaluationPeriods: 1,
    comparisonOperator,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });

  const alarms = [
    alarmAt('DeadLetterQueueNotEmpty',
      'Manifest events reached the dead-letter queue: each message carries the error as attributes. Redrive after fixing the cause.',
      metrics.deadLetters()),
    alarmAt('TriggerErrors',
      'The trigger function failed (crash or timeout); its manifests are retried and reach the dead-letter queue if it keeps failing.',
      metrics.triggerErrors()),
    alarmAt('ManifestWaitingTooLong',
      `A manifest has waited more than ${props.maxManifestWait.toHumanString()} for a job (all concurrent-job slots busy for long, or throttling).`,
      metrics.oldestManifestAge(),
      props.maxManifestWait.toSeconds(),
      cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD),
    alarmAt('BacklogWaitingTooLong',
      `A manifest has waited more than ${props.maxManifestWait.toHumanString()} in the backlog for a free job slot (or, with the per-image engine, for the runs before it).`,
      metrics.oldestBacklogAge(),
      props.maxManifestWait.toSeconds(),
      cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD),
    alarmAt('JobsFailed',
      'A moderation job failed, a manifest could never start one, its results were gone or it outlived the tracking timeout: see the completion event (failure.stage) and the manifest\'s output folder.',
      metrics.jobsFailed()),
    alarmAt('TrackingFailed',
      'A job-tracking execution failed, timed out or was aborted: its job\'s outcome was not reported. Inspect and redrive the execution.',
      metrics.trackingFailures()),
  ];

  const alarmTopic = props.alarmTopic ?? createAlarmTopic(scope, props.encryptionKey);
  const action = new actions.SnsAction(alarmTopic);
  for (const alarm of alarms) alarm.addAlarmAction(action);
  return { alarms, alarmTopic };
}

/**
 * A topic for the alarms, encrypted with the pipeline's key. CloudWatch alarms can publish to an
 * encrypted topic only if the key's policy lets cloudwatch.amazonaws.com use the key (an AWS
 * managed key does not), and only if the topic's policy lets it publish.
 */
function createAlarmTopic(scope: Construct, encryptionKey: kms.IKey): sns.Topic {
  const topic = new sns.Topic(scope, 'Topic', { masterKey: encryptionKey, enforceSSL: true });
  const cloudWatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
  topic.addToResourcePolicy(new iam.PolicyStatement({
    principals: [cloudWatch],
    actions: ['sns:Publish'],
    resources: [topic.topicArn],
    conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
  }));
  const { statementAdded } = encryptionKey.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'CloudWatchAlarmsPublishToTheAlarmTopic',
    principals: [cloudWatch],
    actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    resources: ['*'],
  }), true);
  if (!statementAdded) {
    Annotations.of(scope).addWarningV2('cdk-bulk-moderation:alarmTopicKeyPolicy',
      'encryptionKey is imported, so its key policy cannot be edited: allow cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey* on it, '
      + 'or give an alarmTopic, or the alarms cannot notify their encrypted topic.');
  }
  return topic;
}
