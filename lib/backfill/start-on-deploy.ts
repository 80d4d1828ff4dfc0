import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { FunctionNetwork } from '../common/function-network';
import { acknowledgeFinding, BASIC_EXECUTION_ROLE_FINDING, VPC_ACCESS_ROLE_FINDING } from '../common/grants';

/** The id aws-cdk-lib gives the AwsCustomResource singleton function (custom-resources/aws-custom-resource). */
const AWS_CUSTOM_RESOURCE_PROVIDER_ID = 'AWS679f53fac002430cb0da5b7982bd2287';

export interface StartOnDeployProps {
  readonly stateMachine: sfn.IStateMachine;
  /** Unique per state machine, the same on every attempt of one deployment. */
  readonly executionName: string;
  readonly logGroup: logs.ILogGroup;
}

/**
 * Starts one execution when the resource is created. The name is fixed: Step Functions answers a
 * second StartExecution of a running Standard execution of the same name and input with the same
 * execution, and a finished one with ExecutionAlreadyExists (ignored), so CloudFormation retrying
 * the resource never starts a second run. Updates and deletes do nothing.
 */
export class StartOnDeploy extends Construct {
  public readonly resource: cr.AwsCustomResource;

  constructor(scope: Construct, id: string, props: StartOnDeployProps) {
    super(scope, id);
    const network = FunctionNetwork.of(this)?.functionProps();
    this.resource = new cr.AwsCustomResource(this, 'StartExecution', {
      onCreate: {
        service: 'SFN',
        action: 'startExecution',
        parameters: { stateMachineArn: props.stateMachine.stateMachineArn, name: props.executionName, input: '{}' },
        physicalResourceId: cr.PhysicalResourceId.of(props.executionName),
        ignoreErrorCodesMatching: 'ExecutionAlreadyExists',
      },
      policy: cr.AwsCustomResourcePolicy.fromStatements([new iam.PolicyStatement({
        actions: ['states:StartExecution'],
        resources: [props.stateMachine.stateMachineArn],
      })]),
      installLatestAwsSdk: false,
      logGroup: props.logGroup,
      vpc: network?.vpc,
      vpcSubnets: network?.vpcSubnets,
    });
    // aws-cdk-lib's singleton function behind every AwsCustomResource of the stack.
    const provider = Stack.of(this).node.tryFindChild(AWS_CUSTOM_RESOURCE_PROVIDER_ID);
    if (provider) {
      acknowledgeFinding(provider, BASIC_EXECUTION_ROLE_FINDING,
        'aws-cdk-lib\'s AwsCustomResource handler, shared by the stack; its role takes AWS\'s managed logging policy and is not configurable.');
      if (network) {
        acknowledgeFinding(provider, VPC_ACCESS_ROLE_FINDING,
          'aws-cdk-lib\'s AwsCustomResource handler in the VPC: aws-cdk-lib gives its role the managed policy Lambda needs to manage the function\'s network interfaces.');
      }
    }
  }
}
