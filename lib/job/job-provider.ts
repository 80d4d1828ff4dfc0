import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledgeFinding, acknowledgeGrant, BASIC_EXECUTION_ROLE_FINDING, VPC_ACCESS_ROLE_FINDING } from '../common/grants';

const FRAMEWORK_FUNCTIONS = ['framework-onEvent', 'framework-isComplete', 'framework-onTimeout'];

/**
 * aws-cdk-lib's custom-resource Provider framework, used as it is, with the cdk-nag findings of
 * its functions' roles, their invoke grants and its waiter state machine acknowledged.
 */
export function createJobProvider(scope: Construct, id: string, props: cr.ProviderProps): cr.Provider {
  const provider = new cr.Provider(scope, id, props);
  const handlers = [props.onEventHandler, ...props.isCompleteHandler ? [props.isCompleteHandler] : []];
  const frameworkFunctions = FRAMEWORK_FUNCTIONS
    .map((childId) => provider.node.tryFindChild(childId))
    .filter((child): child is lambda.Function => child instanceof lambda.Function);

  for (const framework of frameworkFunctions) {
    acknowledgeFinding(framework, BASIC_EXECUTION_ROLE_FINDING, 'aws-cdk-lib\'s custom-resource provider framework function; only writes its own logs.');
    if (props.vpc) {
      acknowledgeFinding(framework, VPC_ACCESS_ROLE_FINDING, 'aws-cdk-lib\'s custom-resource provider framework function in the VPC: aws-cdk-lib gives its role the managed policy Lambda needs to manage the function\'s network interfaces.');
    }
    for (const handler of handlers) {
      acknowledgeGrant(framework, {
        resources: [`${handler.functionArn}:*`],
        reason: 'The provider framework is granted its handler and the handler\'s versions (":*"); it invokes only that handler.',
      });
    }
  }

  const waiter = provider.node.tryFindChild('waiter-state-machine');
  if (!waiter) return provider;
  acknowledgeGrant(waiter, {
    resources: ['*'],
    reason: 'Step Functions log delivery (logs:CreateLogDelivery and related) supports no resource-level permissions.',
  });
  acknowledgeFinding(waiter, 'AwsSolutions-SF2', 'aws-cdk-lib\'s provider waiter state machine offers no X-Ray tracing option; its every step is logged (level ALL).');
  for (const framework of frameworkFunctions.filter((fn) => fn.node.id !== 'framework-onEvent')) {
    acknowledgeGrant(waiter, {
      resources: [`${framework.functionArn}:*`],
      reason: 'The provider waiter is granted the framework function it invokes and its versions (":*").',
    });
  }
  return provider;
}
