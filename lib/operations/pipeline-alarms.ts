import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { PipelineMetrics } from './pipeline-metrics';

export { METRIC_NAMESPACE } from './pipeline-metrics';

export interface PipelineAlarmsProps {
  readonly metrics: PipelineMetrics;
  readonly maxManifestWait: Duration;
  readonly alarmTopic?: sns.ITopic;
}

/**
 * The alarms an operator needs to know that something went wrong, and nothing else, created in
 * `scope` (the pipeline's 'Alarms' construct).
 */
export function createPipelineAlarms(scope: Construct, props: PipelineAlarmsProps): cloudwatch.Alarm[] {
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
    alarmAt('JobsFailed',
      'A moderation job failed, a manifest could never start one, its results were gone or it outlived the tracking timeout: see the completion event (failure.stage) and the manifest\'s output folder.',
      metrics.jobsFailed()),
    alarmAt('TrackingFailed',
      'A job-tracking execution failed, timed out or was aborted: its job\'s outcome was not reported. Inspect and redrive the execution.',
      metrics.trackingFailures()),
  ];

  if (props.alarmTopic) {
    const action = new actions.SnsAction(props.alarmTopic);
    for (const alarm of alarms) alarm.addAlarmAction(action);
  }
  return alarms;
}
