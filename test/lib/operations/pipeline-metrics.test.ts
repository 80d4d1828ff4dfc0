import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { ModerationEngine, ModerationPipeline } from '../../../lib';
import { logicalId, resolve, resourceProperties, synthPipeline } from '../../support/synth-helpers';

/** What a metric measures, references resolved. */
function described(stack: Stack, metric: cloudwatch.Metric) {
  return {
    namespace: metric.namespace,
    name: metric.metricName,
    dimensions: resolve(stack, metric.dimensions),
    statistic: metric.statistic,
    period: metric.period.toSeconds(),
  };
}

/** The same, for the single metric an alarm watches. */
function describedAlarm(template: Template, id: string) {
  const alarm = resourceProperties(template, id);
  return {
    namespace: alarm.Namespace,
    name: alarm.MetricName,
    dimensions: Object.fromEntries(alarm.Dimensions.map((d: any) => [d.Name, d.Value])),
    statistic: alarm.Statistic,
    period: alarm.Period,
  };
}

describe('ModerationPipeline metric methods', () => {
  const stack = new Stack(new App(), 'Stack');
  const pipeline = new ModerationPipeline(stack, 'Pipeline');
  const queue = { QueueName: { 'Fn::GetAtt': [logicalId(pipeline.manifestQueue), 'QueueName'] } };
  const dlq = { QueueName: { 'Fn::GetAtt': [logicalId(pipeline.deadLetterQueue), 'QueueName'] } };

  test.each([
    ['metricManifestsWaiting', () => pipeline.metricManifestsWaiting(), 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', queue, 'Maximum'],
    ['metricOldestManifestAge', () => pipeline.metricOldestManifestAge(), 'AWS/SQS', 'ApproximateAgeOfOldestMessage', queue, 'Maximum'],
    ['metricDeadLetters', () => pipeline.metricDeadLetters(), 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', dlq, 'Maximum'],
    ['metricTriggerErrors', () => pipeline.metricTriggerErrors(), 'AWS/Lambda', 'Errors', { FunctionName: { Ref: logicalId(pipeline.triggerFunction) } }, 'Sum'],
    ['metricJobsFailed', () => pipeline.metricJobsFailed(), 'CdkBulkModeration', 'JobsFailed', { Pipeline: 'Stack/Pipeline' }, 'Sum'],
  ])('%s: the right metric, over 5 minutes', (_, metric, namespace, name, dimensions, statistic) => {
    expect(described(stack, metric())).toEqual({ namespace, name, dimensions, statistic, period: 300 });
  });

  test('takes options like aws-cdk-lib\'s metric methods', () => {
    const metric = pipeline.metricJobsFailed({ period: Duration.hours(1), statistic: 'Maximum', label: 'failed' });
    expect(metric).toMatchObject({ statistic: 'Maximum', label: 'failed' });
    expect(metric.period.toSeconds()).toBe(3600);
  });

  test('metricTrackingFailures adds up failed, timed-out and aborted tracking executions', () => {
    const expression = pipeline.metricTrackingFailures() as cloudwatch.MathExpression;
    expect(expression.expression).toBe('failed0 + timedOut0 + aborted0');
    expect(Object.values(expression.usingMetrics).map((m) => (m as cloudwatch.Metric).metricName))
      .toEqual(['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted']);
  });
});

describe('the alarms watch the metrics the methods return', () => {
  const { stack, pipeline, template } = synthPipeline();
  const alarmId = (name: string) => logicalId(pipeline.alarms.find((alarm) => alarm.node.id === name)! as cloudwatch.Alarm);

  test.each([
    ['DeadLetterQueueNotEmpty', () => pipeline.metricDeadLetters()],
    ['TriggerErrors', () => pipeline.metricTriggerErrors()],
    ['ManifestWaitingTooLong', () => pipeline.metricOldestManifestAge()],
    ['JobsFailed', () => pipeline.metricJobsFailed()],
  ])('%s', (name, metric) => {
    expect(describedAlarm(template, alarmId(name))).toEqual(described(stack, metric()));
  });

  test('the JobsFailed filter keeps its place beside the alarms (its logical ID), and calling the method adds none', () => {
    pipeline.metricJobsFailed();
    const filters = Object.keys(Template.fromStack(stack).findResources('AWS::Logs::MetricFilter'));
    expect(filters).toEqual([expect.stringMatching(/^PipelineAlarmsJobsFailedFilter[0-9A-F]{8}$/)]);
  });
});

describe('metricJobsFailed with alarmsEnabled false', () => {
  test('creates no metric filter while nobody asks for the metric', () => {
    const { template } = synthPipeline({ alarmsEnabled: false });
    template.resourceCountIs('AWS::Logs::MetricFilter', 0);
  });

  test('creates the metric filter that feeds it, once', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Stack');
    const pipeline = new ModerationPipeline(stack, 'Pipeline', { alarmsEnabled: false });

    // WHEN
    pipeline.metricJobsFailed();
    pipeline.metricJobsFailed();

    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Logs::MetricFilter', 1);
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ ($.message = "Job tracked") && ($.done IS TRUE) && ($.status = "FAILED") }',
      MetricTransformations: [{ MetricNamespace: 'CdkBulkModeration', MetricName: 'JobsFailed', MetricValue: '1', Dimensions: [{ Key: 'Pipeline', Value: '$.pipeline' }] }],
    });
  });
});

describe('with the per-image engine', () => {
  const { pipeline, template } = synthPipeline({ engine: ModerationEngine.perImage(), dashboardEnabled: true });
  const perImage = logicalId(pipeline.perImageStateMachine!);

  test('metricTrackingFailures counts the per-image runs too', () => {
    const expression = pipeline.metricTrackingFailures() as cloudwatch.MathExpression;
    expect(expression.expression).toBe('failed0 + timedOut0 + aborted0 + failed1 + timedOut1 + aborted1');
    expect(resolve(pipeline, (expression.usingMetrics.failed1 as cloudwatch.Metric).dimensions)).toEqual({ StateMachineArn: { Ref: perImage } });
  });

  test('the dashboard graphs the per-image runs', () => {
    const body = JSON.stringify(resourceProperties(template, logicalId(pipeline.dashboard!)).DashboardBody);
    const widgetTitles = [...body.matchAll(/\\"title\\":\\"([^\\]+)\\"/g)].map((m) => m[1]);
    expect(widgetTitles).toContain('Per-image runs');
    for (const name of ['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut']) {
      expect(body).toContain(`[\\"AWS/States\\",\\"${name}\\",\\"StateMachineArn\\",\\"",{"Ref":"${perImage}"}`);
    }
  });
});

test('the dashboard of a bulk pipeline has no per-image widget', () => {
  const { pipeline, template } = synthPipeline({ dashboardEnabled: true });
  const body = JSON.stringify(resourceProperties(template, logicalId(pipeline.dashboard!)).DashboardBody);
  expect(body).not.toContain('Per-image runs');
  expect(body).toContain('Jobs tracked');
});
