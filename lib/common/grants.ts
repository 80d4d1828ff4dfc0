import { ArnFormat, Fn, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { IConstruct } from 'constructs';

/** cdk-nag's rule on wildcards in IAM policies: one finding per wildcard action and per wildcard resource. */
const WILDCARD_RULE = 'AwsSolutions-IAM5';

/** AwsSolutions-IAM4 on a role with AWS's managed policy for Lambda logging (aws-cdk-lib's own handlers). */
export const BASIC_EXECUTION_ROLE_FINDING = 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]';

/** AwsSolutions-IAM4 on a role of aws-cdk-lib's own handlers placed in a VPC. */
export const VPC_ACCESS_ROLE_FINDING = 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]';

/** What a statement allows, with the reason its wildcards are needed. */
export interface ReasonedGrant {
  /** Actions; one with a `*` is a finding of its own. */
  readonly actions?: string[];
  /** Resources (ARNs, tokens included); one with a `*` is a finding of its own. */
  readonly resources: string[];
  /** Why the wildcards are needed, in words a reviewer can check: recorded with every finding. */
  readonly reason: string;
}

/** A statement to add to a role, with the reason its wildcards are needed. */
export interface ReasonedStatement extends ReasonedGrant {
  /** @default - no Sid */
  readonly sid?: string;
  readonly actions: string[];
  /** @default - no conditions */
  readonly conditions?: Record<string, unknown>;
}

/**
 * Adds an Allow statement to the role's policy and acknowledges, on the role, exactly the
 * cdk-nag findings that statement causes (AwsSolutions-IAM5, one per wildcard action or resource),
 * so a grant and its reason cannot drift apart.
 */
export function grantWithReason(role: iam.IRole, statement: ReasonedStatement): iam.PolicyStatement {
  const policyStatement = new iam.PolicyStatement({
    sid: statement.sid,
    actions: statement.actions,
    resources: statement.resources,
    conditions: statement.conditions,
  });
  role.addToPrincipalPolicy(policyStatement);
  acknowledgeGrant(role, statement);
  return policyStatement;
}

/**
 * Acknowledges on `scope` the wildcard findings of a grant that aws-cdk-lib writes itself (a
 * task's invoke grant, log delivery, a Distributed Map's own executions), beside the code that
 * causes it.
 */
export function acknowledgeGrant(scope: IConstruct, grant: ReasonedGrant): void {
  for (const id of wildcardFindings(scope, grant)) {
    Validations.of(scope).acknowledge({ id, reason: grant.reason });
  }
}

/**
 * Acknowledges on a state machine the grant aws-cdk-lib's LambdaInvoke task writes for each
 * function it invokes: the function and its versions (`<function ARN>:*`).
 */
export function acknowledgeInvokeGrants(stateMachine: IConstruct, functions: lambda.IFunction[]): void {
  for (const fn of functions) {
    acknowledgeGrant(stateMachine, {
      resources: [`${fn.functionArn}:*`],
      reason: 'aws-cdk-lib\'s LambdaInvoke task grants the function and its versions (":*"); the workflow invokes only that function.',
    });
  }
}

/**
 * Acknowledges on the `DistributedMapPolicy` that aws-cdk-lib adds to a state machine with a
 * Distributed Map its two wildcard grants: its own child executions, and its Map Runs (`label`).
 */
export function acknowledgeDistributedMapGrants(stateMachine: sfn.StateMachine, label: string): void {
  const executions = (suffix: string) => Stack.of(stateMachine).formatArn({
    service: 'states',
    resource: 'execution',
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    resourceName: `${Fn.select(6, Fn.split(':', stateMachine.stateMachineArn))}${suffix}`,
  });
  const mapPolicy = stateMachine.node.findChild('DistributedMapPolicy');
  acknowledgeGrant(mapPolicy, {
    resources: [executions(':*')],
    reason: 'aws-cdk-lib\'s Distributed Map lets the workflow describe and stop its own child executions, whose names are generated at run time.',
  });
  acknowledgeGrant(mapPolicy, {
    resources: [executions(`/${label}:*`)],
    reason: `aws-cdk-lib's Distributed Map lets the workflow redrive its own Map Runs (label "${label}"), whose ids are generated at run time.`,
  });
}

/**
 * Acknowledges one finding that is not a wildcard in a statement (a managed policy, a runtime,
 * a tracing setting) on the resource that causes it. `id` names the rule and, where the rule
 * reports several findings, the one meant (e.g. `AwsSolutions-IAM4[Policy::...]`).
 */
export function acknowledgeFinding(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * The AwsSolutions-IAM5 finding ids a grant causes, spelled as cdk-nag spells them: resources
 * given as tokens are resolved and flattened (`<LogicalId.Arn>/prefix*`).
 */
export function wildcardFindings(scope: IConstruct, grant: Pick<ReasonedGrant, 'actions' | 'resources'>): string[] {
  const stack = Stack.of(scope);
  const findings = [
    ...(grant.actions ?? []).filter((action) => action.includes('*')).map((action) => `Action::${action}`),
    ...grant.resources.map((resource) => flattenReference(stack.resolve(resource)))
      .filter((resource) => resource.includes('*'))
      .map((resource) => `Resource::${resource}`),
  ];
  return [...new Set(findings)].map((finding) => `${WILDCARD_RULE}[${finding}]`);
}

/** cdk-nag's flattening of a CloudFormation reference (utils/flatten-cfn-reference). */
function flattenReference(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\${/g, '<').replace(/}/g, '>');
  if (node && typeof node === 'object') {
    const value = node as Record<string, any>;
    if (value['Fn::Join']) {
      const [delimiter, items] = value['Fn::Join'];
      return (items as unknown[]).map(flattenReference).join(delimiter);
    }
    if (value['Fn::Sub']) return flattenReference(value['Fn::Sub']);
    if (value['Fn::GetAtt']) return `<${value['Fn::GetAtt'].map(flattenReference).join('.')}>`;
    if (value['Fn::ImportValue']) return flattenReference(value['Fn::ImportValue']);
    if (value.Ref) return `<${flattenReference(value.Ref)}>`;
  }
  return JSON.stringify(node);
}
