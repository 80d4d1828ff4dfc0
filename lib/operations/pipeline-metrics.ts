import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { JOB_TRACKED_LOG } from '../tracking/tracking-contract';

/** Namespace of the metrics the library derives from its handlers' log lines. */
export const METRIC_NAMESPACE = 'CdkBulkModeration';

/** The period of every metric unless the caller asks for another. */
const PERIOD = Duration.minutes(5);

export interface PipelineMetricSources {
  readonly manifestQueue: sqs.IQueue;
  /** Manifests waiting their turn for a job slot or a per-image run. */
  readonly backlogQueue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly triggerFunction: lambda.IFunction;
  readonly trackingStateMachine: sfn.IStateMachine;
  /** The per-image workflow, when the engine has one: its runs report jobs too. */
  readonly perImageStateMachine?: sfn.IStateMachine;
  /** The tracker's log group: its 'Job tracked' lines with done and status FAILED count failed jobs. */
  readonly trackerLogGroup: logs.ILogGroup;
  /** The pipeline's id, the Pipeline dimension of the JobsFailed metric. */
  readonly pipelineId: string;
}

/**
 * Every metric of a pipeline, in one place: the pipeline's `metricXxx()` methods, its alarms and
 * its dashboard all take theirs from here, so they always show the same numbers.
 */
export class PipelineMetrics {
  private jobsFailedFilter?: logs.MetricFilter;

  /**
   * @param filterScope where the JobsFailed metric filter is created, on first use
   */
  constructor(private readonly filterScope: Construct, private readonly sources: PipelineMetricSources) {}

  /** Manifest events waiting for a job (maximum over the period). */
  public manifestsWaiting(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.sources.manifestQueue.metricApproximateNumberOfMessagesVisible(maximum(options));
  }

  /** Age in seconds of the oldest manifest event waiting for a job (maximum over the period). */
  public oldestManifestAge(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.sources.manifestQueue.metricApproximateAgeOfOldestMessage(maximum(options));
  }

  /** Manifests waiting in the backlog for a free job slot or their per-image run (maximum over the period). */
  public manifestsInBacklog(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.sources.backlogQueue.metricApproximateNumberOfMessagesVisible(maximum(options));
  }

  /** Age in seconds of the oldest manifest in the backlog (maximum over the period). */
  public oldestBacklogAge(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.sources.backlogQueue.metricApproximateAgeOfOldestMessage(maximum(options));
  }

  /** Manifest events in the dead-letter queue (maximum over the period). */
  public deadLetters(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.sources.deadLetterQueue.metricApproximateNumberOfMessagesVisible(maximum(options));
  }

  /** Trigger invocations (sum). */
  public triggerInvocations(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.sources.triggerFunction.metricInvocations(sum(options));
  }

  /** Trigger invocations that crashed or timed out (sum). */
  public triggerErrors(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.sources.triggerFunction.metricErrors(sum(options));
  }

  /** Trigger duration (average). */
  public triggerDuration(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.sources.triggerFunction.metricDuration({ period: PERIOD, statistic: 'Average', ...options });
  }

  /**
   * Manifests that ended in a FAILED completion event (sum), counted from the tracker's own
   * 'Job tracked' line for each finished job: the same line for every engine and event bus.
   */
  public jobsFailed(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.failedJobsFilter().metric({ dimensionsMap: { Pipeline: this.sources.pipelineId }, ...sum(options) });
  }

  /**
   * Executions of the workflows that report jobs (tracking, and per-image runs) that failed,
   * timed out or were aborted: a manifest whose outcome was not reported (sum).
   */
  public trackingFailures(options?: cloudwatch.MathExpressionOptions): cloudwatch.IMetric {
    const period = options?.period ?? PERIOD;
    const usingMetrics: Record<string, cloudwatch.IMetric> = {};
    this.reportingWorkflows().forEach((stateMachine, i) => {
      usingMetrics[`failed${i}`] = stateMachine.metricFailed({ period, statistic: 'Sum' });
      usingMetrics[`timedOut${i}`] = stateMachine.metricTimedOut({ period, statistic: 'Sum' });
      usingMetrics[`aborted${i}`] = stateMachine.metricAborted({ period, statistic: 'Sum' });
    });
    return new cloudwatch.MathExpression({ ...options, expression: Object.keys(usingMetrics).join(' + '), usingMetrics, period });
  }

  /** Started, succeeded, failed and timed-out executions of the tracking workflow (sums). */
  public trackingExecutions(options?: cloudwatch.MetricOptions): cloudwatch.Metric[] {
    return executions(this.sources.trackingStateMachine, options);
  }

  /** The same for the per-image workflow's runs; none without that workflow. */
  public perImageRuns(options?: cloudwatch.MetricOptions): cloudwatch.Metric[] {
    return this.sources.perImageStateMachine ? executions(this.sources.perImageStateMachine, options) : [];
  }

  private reportingWorkflows(): sfn.IStateMachine[] {
    return [this.sources.trackingStateMachine, ...this.sources.perImageStateMachine ? [this.sources.perImageStateMachine] : []];
  }

  private failedJobsFilter(): logs.MetricFilter {
    const { MESSAGE, FIELDS } = JOB_TRACKED_LOG;
    this.jobsFailedFilter ??= new logs.MetricFilter(this.filterScope, 'JobsFailedFilter', {
      logGroup: this.sources.trackerLogGroup,
      filterPattern: logs.FilterPattern.all(
        logs.FilterPattern.stringValue('$.message', '=', MESSAGE),
        logs.FilterPattern.booleanValue(`$.${FIELDS.DONE}`, true),
        logs.FilterPattern.stringValue(`$.${FIELDS.STATUS}`, '=', 'FAILED'),
      ),
      metricNamespace: METRIC_NAMESPACE,
      metricName: 'JobsFailed',
      metricValue: '1',
      dimensions: { Pipeline: `$.${FIELDS.PIPELINE}` },
    });
    return this.jobsFailedFilter;
  }
}

function executions(stateMachine: sfn.IStateMachine, options?: cloudwatch.MetricOptions): cloudwatch.Metric[] {
  return [
    stateMachine.metricStarted(sum(options)),
    stateMachine.metricSucceeded(sum(options)),
    stateMachine.metricFailed(sum(options)),
    stateMachine.metricTimedOut(sum(options)),
  ];
}

function sum(options?: cloudwatch.MetricOptions): cloudwatch.MetricOptions {
  return { period: PERIOD, statistic: 'Sum', ...options };
}

function maximum(options?: cloudwatch.MetricOptions): cloudwatch.MetricOptions {
  return { period: PERIOD, statistic: 'Maximum', ...options };
}
