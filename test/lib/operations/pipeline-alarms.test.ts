import { App, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ModerationPipeline } from '../../../lib';
import { SynthesizedPipeline, logicalId, resourceProperties, synthPipeline } from '../../support/synth-helpers';

const ALARM_NAMES = ['DeadLetterQueueNotEmpty', 'TriggerErrors', 'ManifestWaitingTooLong', 'BacklogWaitingTooLong', 'JobsFailed', 'TrackingFailed'] as const;
type AlarmName = typeof ALARM_NAMES[number];

/** The pipeline's alarms (its `alarms` output) by construct id, with their template properties. */
function alarmsOf(synthesized: SynthesizedPipeline): Record<AlarmName, any> {
  const byName = Object.fromEntries(synthesized.pipeline.alarms.map((alarm) => [
    alarm.node.id,
    resourceProperties(synthesized.template, logicalId(alarm)),
  ]));
  return byName as Record<AlarmName, any>;
}

/** The metric filter that feeds the JobsFailed alarm. */
function failedJobsFilter(synthesized: SynthesizedPipeline): any {
  const filters = Object.values<any>(synthesized.template.findResources('AWS::Logs::MetricFilter'))
    .filter((f) => f.Properties.MetricTransformations.some((t: any) => t.MetricName === 'JobsFailed'));
  expect(filters).toHaveLength(1);
  return filters[0].Properties;
}

/** A CloudFormation string (Fn::Join of literals and references), references written `${Ref:<id>}` / `${<id>.<attribute>}`. */
function symbolic(value: unknown): string {
  if (typeof value === 'string') return value;
  const node = value as Record<string, any>;
  if (node['Fn::Join']) return (node['Fn::Join'][1] as unknown[]).map(symbolic).join(node['Fn::Join'][0]);
  if (node.Ref) return `\${Ref:${node.Ref}}`;
  if (node['Fn::GetAtt']) return `\${${node['Fn::GetAtt'].join('.')}}`;
  throw new Error(`cannot render ${JSON.stringify(value)}`);
}

describe('ModerationPipeline alarms with default props', () => {
  let synthesized: SynthesizedPipeline;
  let alarms: Record<AlarmName, any>;
  let ids: { queue: string; backlog: string; dlq: string; trigger: string; stateMachine: string };

  beforeAll(() => {
    // GIVEN / WHEN
    synthesized = synthPipeline();
    alarms = alarmsOf(synthesized);
    const { pipeline } = synthesized;
    ids = {
      queue: logicalId(pipeline.manifestQueue),
      backlog: logicalId(pipeline.backlogQueue),
      dlq: logicalId(pipeline.deadLetterQueue),
      trigger: logicalId(pipeline.triggerFunction),
      stateMachine: logicalId(pipeline.trackingStateMachine),
    };
  });

  test('creates the six alarms and exposes them as `alarms`', () => {
    expect(Object.keys(alarms).sort()).toEqual([...ALARM_NAMES].sort());
    for (const alarm of synthesized.pipeline.alarms) {
      expect(synthesized.template.toJSON().Resources[logicalId(alarm)].Type).toBe('AWS::CloudWatch::Alarm');
    }
  });

  test('alarms when the dead-letter queue holds at least one message (maximum over 5 minutes)', () => {
    expect(alarms.DeadLetterQueueNotEmpty).toEqual(expect.objectContaining({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.dlq, 'QueueName'] } }],
      Statistic: 'Maximum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
    }));
  });

  test('alarms on any trigger function error', () => {
    expect(alarms.TriggerErrors).toEqual(expect.objectContaining({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: ids.trigger } }],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    }));
  });

  test('alarms when the oldest manifest has waited more than 6 hours (21,600 s)', () => {
    expect(alarms.ManifestWaitingTooLong).toEqual(expect.objectContaining({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.queue, 'QueueName'] } }],
      Statistic: 'Maximum',
      Threshold: 21600,
      ComparisonOperator: 'GreaterThanThreshold',
    }));
  });

  test('alarms when the oldest manifest in the backlog has waited more than 6 hours (21,600 s)', () => {
    expect(alarms.BacklogWaitingTooLong).toEqual(expect.objectContaining({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.backlog, 'QueueName'] } }],
      Statistic: 'Maximum',
      Threshold: 21600,
      ComparisonOperator: 'GreaterThanThreshold',
    }));
  });

  test('alarms on the JobsFailed metric of this pipeline, summed', () => {
    expect(alarms.JobsFailed).toEqual(expect.objectContaining({
      Namespace: 'CdkBulkModeration',
      MetricName: 'JobsFailed',
      Dimensions: [{ Name: 'Pipeline', Value: 'Stack/Pipeline' }],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    }));
  });

  test('counts failed jobs from the tracker\'s JSON line for each finished job, whatever the bus or engine', () => {
    const filter = failedJobsFilter(synthesized);
    expect(filter.LogGroupName).toEqual({ Ref: logicalId(synthesized.pipeline.trackerFunction.node.scope!.node.findChild('LogGroup')) });
    expect(filter.FilterPattern).toBe('{ ($.message = "Job tracked") && ($.done IS TRUE) && ($.status = "FAILED") }');
    expect(filter.MetricTransformations).toEqual([{
      MetricNamespace: 'CdkBulkModeration',
      MetricName: 'JobsFailed',
      MetricValue: '1',
      Dimensions: [{ Key: 'Pipeline', Value: '$.pipeline' }],
    }]);
  });

  test('alarms when a tracking execution failed, timed out or was aborted (the sum of the three, one math expression)', () => {
    expect(alarms.TrackingFailed).toEqual(expect.objectContaining({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' }));
    const metrics: any[] = alarms.TrackingFailed.Metrics;
    const expressions = metrics.filter((m) => m.Expression);
    const inputs = metrics.filter((m) => m.MetricStat);
    expect(expressions).toHaveLength(1);
    expect(expressions[0].ReturnData).toBe(true);
    // The expression adds up every input, and only inputs.
    expect(expressions[0].Expression.split(' + ').sort()).toEqual(inputs.map((m) => m.Id).sort());
    expect(inputs.every((m) => m.ReturnData === false)).toBe(true);
    const described = inputs.map((m) => ({
      namespace: m.MetricStat.Metric.Namespace,
      name: m.MetricStat.Metric.MetricName,
      dimensions: m.MetricStat.Metric.Dimensions,
      stat: m.MetricStat.Stat,
      period: m.MetricStat.Period,
    }));
    const stateMachine = [{ Name: 'StateMachineArn', Value: { Ref: ids.stateMachine } }];
    expect(described.sort((a, b) => a.name.localeCompare(b.name))).toEqual(['ExecutionsAborted', 'ExecutionsFailed', 'ExecutionsTimedOut']
      .map((name) => ({ namespace: 'AWS/States', name, dimensions: stateMachine, stat: 'Sum', period: 300 })));
  });

  test.each(ALARM_NAMES)('treats missing data as not breaching and notifies the pipeline\'s alarm topic from %s', (name) => {
    expect(alarms[name].TreatMissingData).toBe('notBreaching');
    expect(alarms[name].AlarmActions).toEqual([{ Ref: logicalId(synthesized.pipeline.alarmTopic!) }]);
    expect(alarms[name].AlarmDescription).toEqual(expect.any(String));
  });

  test('creates the alarm topic encrypted with the pipeline\'s key, TLS only', () => {
    const topic = resourceProperties(synthesized.template, logicalId(synthesized.pipeline.alarmTopic!));
    expect(topic.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [logicalId(synthesized.pipeline.encryptionKey), 'Arn'] });
    const topicPolicies = Object.values<any>(synthesized.template.findResources('AWS::SNS::TopicPolicy'))
      .filter((policy) => JSON.stringify(policy.Properties.Topics) === JSON.stringify([{ Ref: logicalId(synthesized.pipeline.alarmTopic!) }]));
    const statements = topicPolicies.flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    expect(statements).toContainEqual(expect.objectContaining({
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: 'sns:Publish',
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    }));
  });

  test('lets CloudWatch alarms use the key to publish to the encrypted topic', () => {
    const keyStatements = resourceProperties(synthesized.template, logicalId(synthesized.pipeline.encryptionKey)).KeyPolicy.Statement;
    expect(keyStatements).toContainEqual(expect.objectContaining({
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    }));
  });

  test('creates no dashboard', () => {
    expect(synthesized.pipeline.dashboard).toBeUndefined();
    synthesized.template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
  });
});

describe('ModerationPipeline alarms with alarmTopic and maxManifestWait', () => {
  let synthesized: SynthesizedPipeline;
  let alarms: Record<AlarmName, any>;
  let topic: sns.Topic;

  beforeAll(() => {
    // GIVEN / WHEN
    synthesized = synthPipeline((stack) => {
      topic = new sns.Topic(stack, 'AlarmTopic');
      return { alarmTopic: topic, maxManifestWait: Duration.hours(2) };
    });
    alarms = alarmsOf(synthesized);
  });

  test.each(ALARM_NAMES)('notifies the topic from %s', (name) => {
    expect(alarms[name].AlarmActions).toEqual([{ Ref: logicalId(topic) }]);
  });

  test('creates no topic of its own and exposes the given one', () => {
    expect(synthesized.pipeline.alarmTopic).toBe(topic);
    synthesized.template.resourceCountIs('AWS::SNS::Topic', 1);
  });

  test('alarms when the oldest manifest has waited more than maxManifestWait (7,200 s)', () => {
    expect(alarms.ManifestWaitingTooLong.Threshold).toBe(7200);
    expect(alarms.ManifestWaitingTooLong.AlarmDescription).toContain('2 hours');
    expect(alarms.BacklogWaitingTooLong.Threshold).toBe(7200);
  });
});

describe('ModerationPipeline with alarmsEnabled false', () => {
  test('creates no alarm and no failed-jobs rule, and exposes `alarms` as []', () => {
    // GIVEN / WHEN
    const { pipeline, template } = synthPipeline({ alarmsEnabled: false });

    // THEN
    expect(pipeline.alarms).toEqual([]);
    expect(pipeline.alarmTopic).toBeUndefined();
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    template.resourceCountIs('AWS::SNS::Topic', 0);
    const failedRules = Object.values(template.findResources('AWS::Events::Rule'))
      .filter((rule: any) => JSON.stringify(rule.Properties.EventPattern ?? {}).includes('FAILED'));
    expect(failedRules).toEqual([]);
  });

  test('fails if alarmTopic is given', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Stack');

    // WHEN / THEN
    expect(() => new ModerationPipeline(stack, 'Pipeline', { alarmsEnabled: false, alarmTopic: new sns.Topic(stack, 'Topic') }))
      .toThrow(/alarmTopic is given but alarmsEnabled is false/);
  });
});

describe('ModerationPipeline with an eventBus', () => {
  let synthesized: SynthesizedPipeline;
  let bus: events.EventBus;

  beforeAll(() => {
    // GIVEN / WHEN
    synthesized = synthPipeline((stack) => {
      bus = new events.EventBus(stack, 'Bus');
      return { eventBus: bus };
    });
  });

  test('counts failed jobs without depending on the bus: no rule, the tracker\'s metric filter', () => {
    expect(alarmsOf(synthesized).JobsFailed).toEqual(expect.objectContaining({ Namespace: 'CdkBulkModeration', MetricName: 'JobsFailed' }));
    // The one rule is the backlog's schedule, not a rule on the bus.
    const rules = Object.values(synthesized.template.findResources('AWS::Events::Rule'));
    expect(rules.map((rule: any) => rule.Properties.ScheduleExpression)).toEqual(['rate(1 minute)']);
    expect(failedJobsFilter(synthesized)).toBeDefined();
  });
});

describe('ModerationPipeline with dashboardEnabled', () => {
  let synthesized: SynthesizedPipeline;
  let widgets: any[];

  beforeAll(() => {
    // GIVEN / WHEN
    synthesized = synthPipeline({ dashboardEnabled: true });
    const dashboard = resourceProperties(synthesized.template, logicalId(synthesized.pipeline.dashboard!));
    widgets = JSON.parse(symbolic(dashboard.DashboardBody)).widgets;
  });

  /** Every metric line of the dashboard as [namespace, metric name, dimension value]. */
  function metricLines(): string[][] {
    return widgets.filter((w) => w.type === 'metric')
      .flatMap((w) => w.properties.metrics.map((line: unknown[]) => line.filter((part) => typeof part === 'string') as string[]))
      .map((line) => [line[0], line[1], line[3]]);
  }

  test('creates a dashboard, exposed as `dashboard`', () => {
    synthesized.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    expect(synthesized.pipeline.dashboard).toBeDefined();
  });

  test('shows the state of all six alarms', () => {
    const alarmWidget = widgets.find((w) => w.type === 'alarm');
    expect(alarmWidget.properties.alarms).toEqual(synthesized.pipeline.alarms.map((alarm) => `\${${logicalId(alarm)}.Arn}`));
    expect(alarmWidget.properties.alarms).toHaveLength(6);
  });

  test('graphs the queues, the trigger and the tracking executions', () => {
    const { pipeline } = synthesized;
    const queue = `\${${logicalId(pipeline.manifestQueue)}.QueueName}`;
    const dlq = `\${${logicalId(pipeline.deadLetterQueue)}.QueueName}`;
    const trigger = `\${Ref:${logicalId(pipeline.triggerFunction)}}`;
    const stateMachine = `\${Ref:${logicalId(pipeline.trackingStateMachine)}}`;
    expect(metricLines()).toEqual(expect.arrayContaining([
      ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', queue],
      ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', dlq],
      ['AWS/SQS', 'ApproximateAgeOfOldestMessage', queue],
      ['AWS/Lambda', 'Invocations', trigger],
      ['AWS/Lambda', 'Errors', trigger],
      ['AWS/Lambda', 'Duration', trigger],
      ['AWS/States', 'ExecutionsStarted', stateMachine],
      ['AWS/States', 'ExecutionsSucceeded', stateMachine],
      ['AWS/States', 'ExecutionsFailed', stateMachine],
      ['AWS/States', 'ExecutionsTimedOut', stateMachine],
    ]));
  });
});

describe('ModerationPipeline with dashboardEnabled and alarmsEnabled false', () => {
  let synthesized: SynthesizedPipeline;
  let widgets: any[];

  beforeAll(() => {
    // GIVEN / WHEN
    synthesized = synthPipeline({ dashboardEnabled: true, alarmsEnabled: false });
    widgets = JSON.parse(symbolic(resourceProperties(synthesized.template, logicalId(synthesized.pipeline.dashboard!)).DashboardBody)).widgets;
  });

  test('still creates the dashboard with its metric graphs', () => {
    expect(synthesized.pipeline.dashboard).toBeDefined();
    expect(widgets.filter((w) => w.type === 'metric')).toHaveLength(3);
  });

  // The CloudWatch API reference ("Dashboard Body Structure and Syntax", alarm status widget) requires
  // 1-100 alarm ARNs, so a dashboard without alarms must have no alarm widget.
  test('has no alarm status widget without alarms (an alarm widget needs 1 to 100 alarm ARNs)', () => {
    const alarmWidgets = widgets.filter((w) => w.type === 'alarm');
    for (const widget of alarmWidgets) expect(widget.properties.alarms.length).toBeGreaterThanOrEqual(1);
  });
});
