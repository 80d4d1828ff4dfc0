import * as ec2 from 'aws-cdk-lib/aws-ec2';

/**
 * Where the Lambda functions a construct of this library creates run.
 *
 * In a VPC without a NAT gateway the functions need VPC endpoints for the AWS services they call:
 * see `ModerationVpcEndpoints`.
 */
export interface FunctionVpcProps {
  /**
   * The VPC every Lambda function of the construct runs in (its handlers and, for a
   * `ModerationJob`, the custom-resource provider's functions). aws-cdk-lib's stack-wide
   * bucket-notifications handler cannot be placed in a VPC and stays outside.
   *
   * @default - the functions run outside any VPC, in Lambda's own network
   */
  readonly vpc?: ec2.IVpc;

  /**
   * The subnets of `vpc` the functions run in. Only with `vpc`.
   *
   * @default - the private subnets of `vpc` (aws-cdk-lib's default for Lambda functions)
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * The security groups of the functions. Only with `vpc`. The functions accept no inbound
   * traffic; they need outbound HTTPS to the VPC endpoints (or a NAT gateway).
   *
   * @default - a security group per function, created by aws-cdk-lib, allowing all outbound traffic
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
}
