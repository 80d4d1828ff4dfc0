import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';
import type { FunctionVpcProps } from './function-vpc-props';
import { grantWithReason } from './grants';
import { PropErrors } from './prop-errors';

const ID = 'FunctionNetwork';


/** vpcSubnets and securityGroups only mean something with a vpc. */
export function validateFunctionNetwork(errors: PropErrors, props: FunctionVpcProps): void {
  if (props.vpc) return;
  if (props.vpcSubnets) errors.add('vpcSubnets needs vpc: give the VPC the subnets belong to (given vpcSubnets without vpc)');
  if (props.securityGroups) errors.add(`securityGroups needs vpc: give the VPC the security groups belong to (given ${props.securityGroups.length} security groups without vpc)`);
}

/**
 * Places every function created below its scope (through `HandlerFunction`, and the
 * ModerationJob's provider framework) in one VPC. Like `LogGroupEncryption`, it is found by
 * walking up from the function, so the setting is applied in one place.
 */
export class FunctionNetwork extends Construct {
  /** Places the functions below `scope` in `props.vpc`; does nothing without one. */
  public static place(scope: Construct, props: FunctionVpcProps): void {
    if (props.vpc) new FunctionNetwork(scope, props.vpc, props);
  }

  /** The function network of the nearest scope above `scope` that has one. */
  public static of(scope: IConstruct): FunctionNetwork | undefined {
    for (const ancestor of [...scope.node.scopes].reverse()) {
      const found = ancestor.node.tryFindChild(ID);
      if (found instanceof FunctionNetwork) return found;
    }
    return undefined;
  }

  private constructor(scope: Construct, private readonly vpc: ec2.IVpc, private readonly props: FunctionVpcProps) {
    super(scope, ID);
  }

  /** The lambda.FunctionProps (and cr.ProviderProps) that place a function in the VPC. */
  public functionProps(): Required<Pick<FunctionVpcProps, 'vpc'>> & Omit<FunctionVpcProps, 'vpc'> {
    return { vpc: this.vpc, vpcSubnets: this.props.vpcSubnets, securityGroups: this.props.securityGroups };
  }

  /**
   * What Lambda needs in a function's own role to attach it to the VPC (aws-cdk-lib adds
   * AWSLambdaVPCAccessExecutionRole only to roles it creates).
   */
  public grantNetworkInterfaces(role: iam.IRole): void {
    grantWithReason(role, {
      sid: 'AttachToVpc',
      actions: [
        'ec2:CreateNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSubnets',
        'ec2:DeleteNetworkInterface',
        'ec2:AssignPrivateIpAddresses',
        'ec2:UnassignPrivateIpAddresses',
      ],
      resources: ['*'],
      reason: 'Lambda creates and deletes the function\'s network interfaces in the VPC with the function\'s role; '
        + 'ec2:Describe* supports no resource-level permissions and the interfaces are named only when Lambda creates them '
        + '(the permissions of AWS\'s AWSLambdaVPCAccessExecutionRole, without the managed policy).',
    });
  }
}
