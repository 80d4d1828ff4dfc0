/**
 * The Control Tower proactive controls that resources of this library are allowed to break, each
 * with its reason. The README's "Governed accounts" table mirrors this list (a test checks it).
 */
export interface ControlTowerException {
  /** The control, e.g. `CT.S3.PR.9`. */
  readonly control: string;
  /** The resources (construct paths below the stack, as in the README) it applies to. */
  readonly resources: RegExp;
  /** How the README names those resources. */
  readonly resourcesInReadme: string;
  /** The variants it applies to. @default every variant */
  readonly variants?: string[];
  readonly reason: string;
}

/** The variants whose functions are not given a VPC. */
const NO_VPC_VARIANTS = ['defaults', 'perImage', 'auto', 'bringYourOwn', 'moderationJob'];

export const CONTROL_TOWER_EXCEPTIONS: ControlTowerException[] = [
  {
    control: 'CT.CLOUDWATCH.PR.3',
    resources: /^Pipeline\/.*(LogGroup|ExecutionLogs)$/,
    resourcesInReadme: 'the pipeline\'s log groups, with an imported `encryptionKey`',
    variants: ['bringYourOwn'],
    reason: 'The key policy of an imported key cannot be edited to let CloudWatch Logs use it, so the log groups keep CloudWatch Logs\' own encryption (synth warns). Give a `kms.Key` of the same stack, or none, to have them encrypted.',
  },
  {
    control: 'CT.LAMBDA.PR.3',
    resources: /^BucketNotificationsHandler[0-9a-f]+$/,
    resourcesInReadme: 'aws-cdk-lib\'s `BucketNotificationsHandler`',
    reason: 'aws-cdk-lib\'s stack-wide handler that configures bucket notifications during the deployment offers no VPC setting; it calls only `s3:PutBucketNotification`.',
  },
  {
    control: 'CT.LAMBDA.PR.3',
    resources: /(\/Function|\/Provider\/framework-\w+)$/,
    resourcesInReadme: 'every other function, without `vpc`',
    variants: NO_VPC_VARIANTS,
    reason: 'Without `vpc` the functions run in Lambda\'s own network: they call only AWS APIs. Give `vpc` (and the endpoints in [VPC endpoints](#vpc-endpoints)) to place them in yours.',
  },
  {
    control: 'CT.S3.PR.2',
    resources: /^Pipeline\/AccessLogsBucket$/,
    resourcesInReadme: '`AccessLogsBucket`',
    reason: 'The access-logs bucket receives the server access logs of the other buckets; logging it into itself would log its own log deliveries without end.',
  },
  {
    control: 'CT.S3.PR.4',
    resources: /^Pipeline\/(InputBucket|OutputBucket|AccessLogsBucket)$/,
    resourcesInReadme: '`InputBucket`, `OutputBucket`, `AccessLogsBucket`',
    reason: 'The input bucket does notify (manifests go to the queue), but aws-cdk-lib configures that through a custom resource the rule cannot see; the output and access-logs buckets have no consumer of object events: add one with `addEventNotification` if you need it.',
  },
  {
    control: 'CT.S3.PR.9',
    resources: /^Pipeline\/(InputBucket|OutputBucket|AccessLogsBucket)$/,
    resourcesInReadme: '`InputBucket`, `OutputBucket`, `AccessLogsBucket`',
    reason: 'Object Lock would forbid deleting or overwriting manifests, results and logs, against the lifecycle rules and `removalPolicy`; a retention period is your compliance decision: bring your own locked buckets (`inputBucket`, `outputBucket`, `accessLogsBucket`).',
  },
  {
    control: 'CT.S3.PR.10',
    resources: /^Pipeline\/AccessLogsBucket$/,
    resourcesInReadme: '`AccessLogsBucket`',
    reason: 'S3 delivers server access logs only to a bucket encrypted with SSE-S3 (SSE-KMS is not supported for the destination bucket).',
  },
  {
    control: 'CT.STEPFUNCTIONS.PR.2',
    resources: /^Job\/Provider\/waiter-state-machine$/,
    resourcesInReadme: '`Job/Provider/waiter-state-machine`',
    reason: 'The waiter state machine of aws-cdk-lib\'s custom-resource provider framework offers no tracing option.',
  },
];

/** The exception that allows `violation` in `variant`, if any. */
export function exceptionFor(violation: { control: string; path: string }, variant: string): ControlTowerException | undefined {
  return CONTROL_TOWER_EXCEPTIONS.find((exception) => exception.control === violation.control
    && exception.resources.test(violation.path)
    && (exception.variants === undefined || exception.variants.includes(variant)));
}
