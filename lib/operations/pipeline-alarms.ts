import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface PipelineAlarmsProps {
  readonly manifestQueue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly triggerFunction: lambda.IFunction;
  /** The workflows that report jobs: tracking, and the per-image engine's when there is one. */
  readonly trackingStateMachines: sfn.IStateMachine[];
  /** The tracker's log group: its 'Job tracked' lines with done and status FAILED count failed jobs. */
  readonly trackerLogGroup: logs.ILogGroup;
  /** The pipeline's id, the Pipeline dimension of the JobsFailed metric. */
  readonly pipelineId: string;
  readonly maxManifestWait: Duration;
  readonly alarmTopic?: sns.ITopic;
}

/** The alarms an operator needs to know that something went wrong, and nothing else. */
export class PipelineAlarms extends Construct {
  public readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: PipelineAlarmsProps) {
    super(scope, id);
    const period = Duration.minutes(5);

    const alarmAt = (
      id: string,
      description: string,
      metric: cloudwatch.IMetric,
      threshold = 1,
      comparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    ) => new cloudwatch.Alarm(this, id, {
      alarmDescription: description,
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    this.alarms = [
      alarmAt('DeadLetterQueueNotEmpty',
        'Manifest events reached the dead-letter queue: each message carries the error as attributes. Redrive after fixing the cause.',
        props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' })),
      alarmAt('TriggerErrors',
        'The trigger function failed (crash or timeout); its manifests are retried and reach the dead-letter queue if it keeps failing.',
        props.triggerFunction.metricErrors({ period, statistic: 'Sum' })),
      alarmAt('ManifestWaitingTooLong',
        `A manifest has waited more than ${props.maxManifestWait.toHumanString()} for a job (all concurrent-job slots busy for long, or throttling).`,
        props.manifestQueue.metricApproximateAgeOfOldestMessage({ period, statistic: 'Maximum' }),
        props.maxManifestWait.toSeconds(),
        cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD),
      alarmAt('JobsFailed',
        'A moderation job failed, or a manifest could never start one: see the completion event and the error report in the manifest\'s output folder.',
        failedJobsMetric(this, props, period)),
      alarmAt('TrackingFailed',
        'A job-tracking execution failed, timed out or was aborted: its job\'s outcome was not reported. Inspect and redrive the execution.',
        unsuccessfulExecutions(props.trackingStateMachines, period)),
    ];

    if (props.alarmTopic) {
      const action = new actions.SnsAction(props.alarmTopic);
      for (const alarm of this.alarms) alarm.addAlarmAction(action);
    }
  }
}

/** Failed + timed-out + aborted executions of every given state machine. */
function unsuccessfulExecutions(stateMachines: sfn.IStateMachine[], period: Duration): cloudwatch.MathExpression {
  const usingMetrics: Record<string, cloudwatch.IMetric> = {};
  stateMachines.forEach((stateMachine, i) => {
    usingMetrics[`failed${i}`] = stateMachine.metricFailed({ period, statistic: 'Sum' });
    usingMetrics[`timedOut${i}`] = stateMachine.metricTimedOut({ period, statistic: 'Sum' });
    usingMetrics[`aborted${i}`] = stateMachine.metricAborted({ period, statistic: 'Sum' });
  });
  return new cloudwatch.MathExpression({ expression: Object.keys(usingMetrics).join(' + '), usingMetrics, period });
}

/** Namespace of the metrics the library derives from its handlers' log lines. */
export const METRIC_NAMESPACE = 'CdkBulkModeration';

/**
 * Failed jobs (and manifests that never got one), counted from the tracker's own JSON log line
 * for each finished job: the same line for every engine and every event bus.
 */
function failedJobsMetric(scope: Construct, props: PipelineAlarmsProps, period: Duration): cloudwatch.IMetric {
  const filter = new logs.MetricFilter(scope, 'JobsFailedFilter', {
    logGroup: props.trackerLogGroup,
    filterPattern: logs.FilterPattern.all(
      logs.FilterPattern.stringValue('$.message', '=', 'Job tracked'),
      logs.FilterPattern.booleanValue('$.done', true),
      logs.FilterPattern.stringValue('$.status', '=', 'FAILED'),
    ),
    metricNamespace: METRIC_NAMESPACE,
    metricName: 'JobsFailed',
    metricValue: '1',
    dimensions: { Pipeline: '$.pipeline' },
  });
  return filter.metric({ dimensionsMap: { Pipeline: props.pipelineId }, statistic: 'Sum', period });
}
