import * as ec2 from 'aws-cdk-lib/aws-ec2';

/** One AWS service the library's functions call, and the VPC endpoint that reaches it without a NAT gateway. */
export interface VpcEndpointRequirement {
  /** The service's prefix in IAM actions and in its endpoint name (`com.amazonaws.<region>.<service>`). */
  readonly service: string;
  /** Whether the endpoint is a gateway endpoint (S3) rather than an interface endpoint. */
  readonly gateway: boolean;
  /** The functions that call it. */
  readonly neededBy: string;
}

/** Options of `ModerationVpcEndpoints.addTo`. */
export interface ModerationVpcEndpointsOptions {
  /**
   * The subnets the endpoints serve: give the functions' `vpcSubnets`.
   *
   * @default - the private subnets of the VPC
   */
  readonly subnets?: ec2.SubnetSelection;
}

/**
 * The VPC endpoints the library's functions need in a VPC without a NAT gateway (`vpc` on
 * `ModerationPipeline` and `ModerationJob`). A test derives the services from every IAM action
 * the functions' roles are granted and checks that this list covers them.
 *
 * CloudWatch Logs (the function logs), EC2 (the functions' network interfaces) and KMS (S3, SQS
 * and Rekognition use the key on the caller's behalf) are reached by AWS services, not by the
 * functions' code: they need no endpoint.
 */
export class ModerationVpcEndpoints {
  /** Every endpoint that some function of the library needs. */
  public static readonly REQUIRED: VpcEndpointRequirement[] = [
    { service: 's3', gateway: true, neededBy: 'every engine: manifests, images, results; the ModerationJob\'s provider answers CloudFormation through a pre-signed S3 URL' },
    { service: 'rekognition', gateway: false, neededBy: 'bulk and auto engines (trigger, tracker), perImage and auto (per-image Batch), ModerationJob' },
    { service: 'sqs', gateway: false, neededBy: 'trigger (defers and dead-letters manifest events), imageIngestion batcher (receives and deletes upload events)' },
    { service: 'states', gateway: false, neededBy: 'trigger (starts tracking and per-image runs), ModerationJob (per-image runs; the provider\'s waiter with waitForCompletion)' },
    { service: 'events', gateway: false, neededBy: 'a `policy` with the EVENT action (the actions function publishes Moderation Image Flagged events)' },
    { service: 'lambda', gateway: false, neededBy: 'ModerationJob (the provider framework invokes its handlers)' },
  ];

  /**
   * Adds to `vpc` every endpoint in `REQUIRED` (interface endpoints with private DNS, reachable
   * on HTTPS from the VPC's CIDR). Skip it if the VPC already has them.
   */
  public static addTo(vpc: ec2.IVpc, options: ModerationVpcEndpointsOptions = {}): void {
    for (const endpoint of ModerationVpcEndpoints.REQUIRED) {
      const id = `ModerationEndpoint-${endpoint.service}`;
      if (endpoint.gateway) {
        vpc.addGatewayEndpoint(id, { service: new ec2.GatewayVpcEndpointAwsService(endpoint.service), subnets: options.subnets && [options.subnets] });
      } else {
        vpc.addInterfaceEndpoint(id, { service: new ec2.InterfaceVpcEndpointAwsService(endpoint.service), subnets: options.subnets, privateDnsEnabled: true });
      }
    }
  }
}
