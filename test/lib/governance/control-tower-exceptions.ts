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

export const CONTROL_TOWER_EXCEPTIONS: ControlTowerException[] = [
  {
    control: 'CT.CLOUDWATCH.PR.3',
    resources: /^Pipeline\/.*(LogGroup|ExecutionLogs)$/,
    resourcesInReadme: 'the pipeline\'s log groups, with an imported `encryptionKey`',
    variants: ['bringYourOwn'],
    reason: 'The key policy of an imported key cannot be edited to let CloudWatch Logs use it, so the log groups keep CloudWatch Logs\' own encryption (synth warns). Give a `kms.Key` of the same stack, or none, to have them encrypted.',
  },
  {
    control: 'CT.CLOUDWATCH.PR.3',
    resources: /^Job\/(OnEvent\/LogGroup|IsComplete\/LogGroup|ProviderLogs)$/,
    resourcesInReadme: '`ModerationJob` log groups',
    reason: 'Not done yet: a ModerationJob sits outside its pipeline, so its log groups are not under the pipeline\'s log-group encryption (they log job ids and manifest locations, not results).',
  },
  {
    control: 'CT.LAMBDA.PR.3',
    resources: /(\/Function|^BucketNotificationsHandler[0-9a-f]+|\/Provider\/framework-\w+)$/,
    resourcesInReadme: 'every function',
    reason: 'Functions do not run in a VPC: they call only AWS APIs.',
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
    control: 'CT.SQS.PR.1',
    resources: /^Pipeline\/Trigger\/DeadLetterQueue$/,
    resourcesInReadme: '`Trigger/DeadLetterQueue`',
    reason: 'It is the dead-letter queue of the manifest queue; the rule would accept a `RedriveAllowPolicy` naming the manifest queue instead (not done yet).',
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
