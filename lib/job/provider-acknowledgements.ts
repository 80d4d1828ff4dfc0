import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as cr from 'aws-cdk-lib/custom-resources';
import { acknowledgeFinding } from '../common/nag-acknowledgements';

const BASIC_EXECUTION_ROLE = 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]';
const FRAMEWORK_FUNCTIONS = ['framework-onEvent', 'framework-isComplete', 'framework-onTimeout'];

/**
 * The findings of aws-cdk-lib's custom-resource Provider framework, which this library uses as
 * it is: its functions' roles, their invoke grants and its waiter state machine.
 */
export function acknowledgeProviderFindings(provider: cr.Provider, handlers: lambda.IFunction[]): void {
  const frameworkFunctions = FRAMEWORK_FUNCTIONS
    .map((id) => provider.node.tryFindChild(id))
    .filter((child): child is lambda.Function => child instanceof lambda.Function);

  for (const framework of frameworkFunctions) {
    acknowledgeFinding(framework, BASIC_EXECUTION_ROLE, 'aws-cdk-lib\'s custom-resource provider framework function; only writes its own logs.');
    for (const handler of handlers) {
      acknowledgeFinding(framework, 'AwsSolutions-IAM5', 'The provider framework is granted its handler and the handler\'s versions (":*"); it invokes only that handler.', `${handler.functionArn}:*`);
    }
  }

  const waiter = provider.node.tryFindChild('waiter-state-machine');
  if (!waiter) return;
  acknowledgeFinding(waiter, 'AwsSolutions-IAM5', 'Step Functions log delivery (logs:CreateLogDelivery and related) supports no resource-level permissions.', '*');
  acknowledgeFinding(waiter, 'AwsSolutions-SF2', 'aws-cdk-lib\'s provider waiter state machine offers no X-Ray tracing option; its every step is logged (level ALL).');
  for (const framework of frameworkFunctions.filter((fn) => fn.node.id !== 'framework-onEvent')) {
    acknowledgeFinding(waiter, 'AwsSolutions-IAM5', 'The provider waiter is granted the framework function it invokes and its versions (":*").', `${framework.functionArn}:*`);
  }
}
