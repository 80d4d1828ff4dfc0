import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface PipelineDashboardProps {
  readonly manifestQueue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly triggerFunction: lambda.IFunction;
  readonly trackingStateMachine: sfn.IStateMachine;
  readonly alarms: cloudwatch.IAlarm[];
}

/** One page with the pipeline's flow: manifests waiting, jobs being tracked, outcomes, alarms. */
export function createPipelineDashboard(scope: Construct, id: string, props: PipelineDashboardProps): cloudwatch.Dashboard {
  const dashboard = new cloudwatch.Dashboard(scope, id);
  if (props.alarms.length > 0) {
    // An alarm widget needs 1 to 100 alarms.
    dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: props.alarms, width: 24 }));
  }
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Manifests waiting',
      left: [props.manifestQueue.metricApproximateNumberOfMessagesVisible(), props.deadLetterQueue.metricApproximateNumberOfMessagesVisible()],
      right: [props.manifestQueue.metricApproximateAgeOfOldestMessage()],
    }),
    new cloudwatch.GraphWidget({
      title: 'Trigger',
      left: [props.triggerFunction.metricInvocations(), props.triggerFunction.metricErrors()],
      right: [props.triggerFunction.metricDuration()],
    }),
    new cloudwatch.GraphWidget({
      title: 'Jobs tracked',
      left: [
        props.trackingStateMachine.metricStarted(),
        props.trackingStateMachine.metricSucceeded(),
        props.trackingStateMachine.metricFailed(),
        props.trackingStateMachine.metricTimedOut(),
      ],
    }),
  );
  return dashboard;
}
