import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { DEFAULT_JOB_NAME_PREFIX, DEFAULT_OUTPUT_PREFIX, DEFAULT_UNEXPECTED_ERROR_ATTEMPTS } from '../trigger/trigger-contract';

/** The documented defaults of ModerationPipelineProps, in one place; those the trigger also needs come from its contract. */
export const PIPELINE_DEFAULTS = {
  manifestPrefix: 'manifests/',
  manifestSuffixes: ['.jsonl', '.manifest'],
  outputPrefix: DEFAULT_OUTPUT_PREFIX,
  jobNamePrefix: DEFAULT_JOB_NAME_PREFIX,
  outputBucketVersioned: true,
  removalPolicy: RemovalPolicy.RETAIN,
  triggerBatchSize: 5,
  triggerMaxConcurrency: 2,
  triggerTimeout: Duration.minutes(1),
  maxReceiveCount: 100,
  unexpectedErrorAttempts: DEFAULT_UNEXPECTED_ERROR_ATTEMPTS,
  logRetention: logs.RetentionDays.ONE_YEAR,
  pollInterval: Duration.minutes(5),
  trackingTimeout: Duration.days(7),
  alarmsEnabled: true,
  maxManifestWait: Duration.hours(6),
  dashboardEnabled: false,
  validateManifests: true,
} as const;
