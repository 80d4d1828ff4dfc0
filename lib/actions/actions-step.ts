import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ActionsPath, ActionsState } from './actions-contract';
import { WORKFLOW_RETRYABLE_ERRORS } from '../common/contract/error-names';

/**
 * The step between a finished job's completion detail and its event: the actions function
 * applies the policy to every image and adds `detail.actions`. It is invoked again while it
 * answers `actionsComplete: false` (its time budget ran out; it resumes from its checkpoint),
 * and retried on throttling and service errors (it resumes the same way).
 */
export function applyModerationActions(scope: Construct, actionsFunction: lambda.IFunction, then: sfn.IChainable): sfn.Chain {
  const apply = new tasks.LambdaInvoke(scope, ActionsState.APPLY, {
    lambdaFunction: actionsFunction,
    payloadResponseOnly: true,
    resultPath: ActionsPath.STEP,
    retryOnServiceExceptions: false,
  });
  apply.addRetry({
    errors: [...WORKFLOW_RETRYABLE_ERRORS],
    interval: Duration.seconds(5),
    backoffRate: 2,
    maxAttempts: 10,
    maxDelay: Duration.minutes(5),
    jitterStrategy: sfn.JitterType.FULL,
  });
  const complete = new sfn.Choice(scope, ActionsState.COMPLETE)
    .when(sfn.Condition.booleanEquals(ActionsPath.COMPLETE, false), apply)
    .otherwise(then);
  return apply.next(complete);
}
