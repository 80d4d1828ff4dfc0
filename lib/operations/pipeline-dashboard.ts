import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { PipelineMetrics } from './pipeline-metrics';

export interface PipelineDashboardProps {
  readonly metrics: PipelineMetrics;
  readonly alarms: cloudwatch.IAlarm[];
}

/** One page with the pipeline's flow: manifests waiting, jobs being tracked, per-image runs, outcomes, alarms. */
export function createPipelineDashboard(scope: Construct, id: string, props: PipelineDashboardProps): cloudwatch.Dashboard {
  const { metrics } = props;
  const dashboard = new cloudwatch.Dashboard(scope, id);
  if (props.alarms.length > 0) {
    // An alarm widget needs 1 to 100 alarms.
    dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: props.alarms, width: 24 }));
  }
  const perImageRuns = metrics.perImageRuns();
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Manifests waiting',
      left: [metrics.manifestsWaiting(), metrics.manifestsInBacklog(), metrics.deadLetters()],
      right: [metrics.oldestManifestAge(), metrics.oldestBacklogAge()],
    }),
    new cloudwatch.GraphWidget({
      title: 'Trigger',
      left: [metrics.triggerInvocations(), metrics.triggerErrors()],
      right: [metrics.triggerDuration()],
    }),
    new cloudwatch.GraphWidget({
      title: 'Jobs tracked',
      left: metrics.trackingExecutions(),
      right: [metrics.jobsFailed()],
    }),
    ...perImageRuns.length > 0 ? [new cloudwatch.GraphWidget({ title: 'Per-image runs', left: perImageRuns })] : [],
  );
  return dashboard;
}
