import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';

/** The documented defaults of ModerationPipelineProps, in one place. */
export const PIPELINE_DEFAULTS = {
  manifestPrefix: 'manifests/',
  manifestSuffixes: ['.jsonl', '.manifest'],
  outputPrefix: 'results/',
  jobNamePrefix: 'moderation-',
  outputBucketVersioned: true,
  removalPolicy: RemovalPolicy.RETAIN,
  triggerBatchSize: 5,
  triggerMaxConcurrency: 2,
  triggerTimeout: Duration.minutes(1),
  maxReceiveCount: 100,
  unexpectedErrorAttempts: 5,
  logRetention: logs.RetentionDays.ONE_YEAR,
  pollInterval: Duration.minutes(5),
  trackingTimeout: Duration.days(7),
  alarmsEnabled: true,
  maxManifestWait: Duration.hours(6),
  dashboardEnabled: false,
  validateManifests: true,
} as const;
