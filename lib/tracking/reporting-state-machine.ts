import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { createLogGroup } from '../common/encrypted-log-groups';
import { acknowledgeGrant } from '../common/grants';

export interface ReportingStateMachineProps {
  /** Builds the definition; called once the log group exists. */
  readonly definition: () => sfn.IChainable;
  readonly timeout: Duration;
  readonly comment: string;
  /** The topic the workflow's publishCompletion notifies, if any: its key must let the workflow publish. */
  readonly completionTopic?: sns.ITopic;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * A workflow that ends in a completion event (job tracking, a per-image run): Standard, one
 * execution per manifest, every step logged (level ALL, with data) to its own log group (encrypted
 * with the pipeline's key, see `LogGroupEncryption`) and traced.
 */
export function createReportingStateMachine(scope: Construct, props: ReportingStateMachineProps): { stateMachine: sfn.StateMachine; logGroup: logs.LogGroup } {
  const logGroup = createLogGroup(scope, 'ExecutionLogs', { retention: props.logRetention, removalPolicy: props.removalPolicy });
  const stateMachine = new sfn.StateMachine(scope, 'StateMachine', {
    stateMachineType: sfn.StateMachineType.STANDARD,
    definitionBody: sfn.DefinitionBody.fromChainable(props.definition()),
    timeout: props.timeout,
    tracingEnabled: true,
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    comment: props.comment,
  });
  acknowledgeGrant(stateMachine, {
    resources: ['*'],
    reason: 'Step Functions log delivery (logs:CreateLogDelivery and related) and X-Ray tracing (xray:PutTraceSegments and related) support no resource-level permissions.',
  });
  props.completionTopic?.masterKey?.grant(stateMachine, 'kms:Decrypt', 'kms:GenerateDataKey');
  return { stateMachine, logGroup };
}
