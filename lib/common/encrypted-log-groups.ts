import { ArnFormat, Aws, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IConstruct } from 'constructs';
import { stackInstanceId } from './stack-instance';

const ID = 'LogGroupEncryption';

export interface LogGroupOptions {
  readonly retention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Encrypts every log group created (through `createLogGroup`) below its scope with a key whose
 * policy lets CloudWatch Logs use it for those log groups only.
 *
 * The key policy cannot name a log group by its ARN (the log group already depends on the key),
 * so the log groups get names under a prefix the policy can name: one per pipeline and per
 * stack instance. The stack's UUID in it keeps a retained log group of a destroyed stack from
 * colliding with the next deployment's.
 */
export class LogGroupEncryption extends Construct {
  /**
   * Encrypts the log groups below `scope` with `key` when the construct can edit its policy (a
   * key created in the same stack); returns whether it does.
   */
  public static enable(scope: Construct, key: kms.IKey): boolean {
    if (!(key instanceof kms.Key) || Stack.of(key) !== Stack.of(scope)) return false;
    new LogGroupEncryption(scope, key);
    return true;
  }

  /** The log-group encryption of the nearest scope above `scope` that has one. */
  public static of(scope: IConstruct): LogGroupEncryption | undefined {
    for (const ancestor of [...scope.node.scopes].reverse()) {
      const found = ancestor.node.tryFindChild(ID);
      if (found instanceof LogGroupEncryption) return found;
    }
    return undefined;
  }

  /** The start of the names of the log groups below the scope. */
  public readonly namePrefix: string;
  private readonly key: kms.IKey;

  private constructor(scope: Construct, key: kms.Key) {
    super(scope, ID);
    this.key = key;
    this.namePrefix = `/aws/vendedlogs/moderation/${stackInstanceId()}/${scope.node.addr}/`;
    key.addToResourcePolicy(new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': Stack.of(this).formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: `${this.namePrefix}*`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        },
      },
    }));
  }

  /** Names the log group `scope/id` (its construct path below this scope) and encrypts it. */
  public logGroupProps(scope: Construct, id: string): Pick<logs.LogGroupProps, 'logGroupName' | 'encryptionKey'> {
    const below = `${scope.node.path}/${id}`.slice(this.node.scope!.node.path.length + 1);
    return { logGroupName: `${this.namePrefix}${below}`, encryptionKey: this.key };
  }
}

/** A log group, encrypted and named by the nearest `LogGroupEncryption` above it, if any. */
export function createLogGroup(scope: Construct, id: string, options: LogGroupOptions): logs.LogGroup {
  return new logs.LogGroup(scope, id, {
    retention: options.retention,
    removalPolicy: options.removalPolicy,
    ...LogGroupEncryption.of(scope)?.logGroupProps(scope, id),
  });
}
