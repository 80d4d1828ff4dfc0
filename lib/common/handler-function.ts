import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { createLogGroup } from './encrypted-log-groups';
import { FunctionNetwork } from './function-network';
import { HANDLER_RUNTIME, handlerCode } from './handler-code';

export interface HandlerFunctionOptions {
  /** Folder under assets/ that holds the bundled handler. */
  readonly asset: string;
  /** Exported function of index.mjs. @default 'handler' */
  readonly exportName?: string;
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize?: number;
  readonly environment?: Record<string, string>;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * A pre-bundled handler with its own role and an explicit log group (encrypted with the pipeline's
 * key, see `LogGroupEncryption`). The role is written out here instead of taking
 * AWSLambdaBasicExecutionRole, so it can only write to its own log group. It runs in the VPC of
 * the nearest `FunctionNetwork` above it, if any.
 */
export class HandlerFunction extends Construct {
  public readonly function: lambda.Function;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, options: HandlerFunctionOptions) {
    super(scope, id);
    this.logGroup = createLogGroup(this, 'LogGroup', { retention: options.logRetention, removalPolicy: options.removalPolicy });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: options.description,
    });
    const network = FunctionNetwork.of(this);
    network?.grantNetworkInterfaces(this.role);
    this.function = new lambda.Function(this, 'Function', {
      runtime: HANDLER_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      code: handlerCode(options.asset),
      handler: `index.${options.exportName ?? 'handler'}`,
      description: options.description,
      timeout: options.timeout,
      memorySize: options.memorySize ?? 256,
      environment: options.environment,
      role: this.role,
      logGroup: this.logGroup,
      ...network?.functionProps(),
    });
    this.logGroup.grantWrite(this.role);
  }
}
