import { EnvironmentReader, writeEnvironment, type Stringify } from '../common/contract/environment';
import { stateMachineArnProblem } from '../trigger/trigger-contract';

/**
 * The contract between the ModerationJob custom resource (construct side) and its handlers
 * (lambda/job): handler export names, property and attribute names. Both sides import them, so a
 * rename cannot drift. No CDK imports here: the handler bundle includes this file. What a job is
 * comes in the resource properties; onEvent's environment says only where to report it
 * (ModerationJobEnvironment). Their limits are the trigger's (lib/trigger/trigger-contract.ts
 * checks), since both start the same jobs.
 */

/** The export of the job bundle's index that the provider framework calls for every event. */
export const ON_EVENT_HANDLER = 'onEvent';
/** The export that the provider framework polls with `waitForCompletion`. */
export const IS_COMPLETE_HANDLER = 'isComplete';

/**
 * Properties of the ModerationJob custom resource, as the handlers receive them.
 *
 * CloudFormation passes every value as a string. An optional property given as '' counts as
 * absent, except JobNamePrefix, where '' means "no prefix". Any property name not listed here
 * (other than CloudFormation's ServiceToken and ServiceTimeout) fails the deployment.
 */
export interface ModerationJobResourceProperties {
  /** Bucket of the input manifest (JSON Lines, one `{"source-ref":"s3://bucket/key"}` per line). */
  readonly ManifestBucket: string;
  /** Key of the input manifest. */
  readonly ManifestKey: string;
  /** Version of the manifest object. @default - the latest version */
  readonly ManifestVersion?: string;
  /** Bucket that receives the results. */
  readonly OutputBucket: string;
  /**
   * Key prefix under which the job gets its own folder ('' for the bucket root; '/' is appended
   * when missing). The handler appends the manifest key and a part of the request token.
   */
  readonly OutputPrefix: string;
  /** KMS key (id or ARN) that Rekognition uses for images and results. @default - none */
  readonly KmsKeyId?: string;
  /** MinConfidence, a number from 0 to 100 written as a string. @default - Rekognition's default (50) */
  readonly MinConfidence?: string;
  /** Adapter (project version) ARN. @default - the base moderation model */
  readonly ProjectVersion?: string;
  /** Exact JobName (1-64 characters of `a-zA-Z0-9_.-`). @default - derived from JobNamePrefix, the manifest key and the token */
  readonly JobName?: string;
  /** Prefix of the derived JobName. @default 'moderation-' */
  readonly JobNamePrefix?: string;
  /** 'true' makes the deployment wait until the job has finished (and fail if the job fails). */
  readonly WaitForCompletion: 'true' | 'false';
  /**
   * How the manifest is moderated: 'bulk' (StartMediaAnalysisJob), 'per-image' (an execution of
   * PerImageStateMachineArn), or 'auto' (bulk, and per image when StartMediaAnalysisJob answers
   * AccessDeniedException). Left out for bulk, so that stacks deployed before the property existed
   * keep their properties (and their job) unchanged.
   *
   * @default 'bulk'
   */
  readonly Engine?: 'bulk' | 'per-image' | 'auto';
  /**
   * ARN of the pipeline's per-image state machine; required with Engine 'per-image' and 'auto',
   * not allowed with 'bulk'. The run uses the pipeline's output location, key, MinConfidence and
   * adapter, so the construct requires the job's to match them.
   *
   * @default - none (Engine 'bulk')
   */
  readonly PerImageStateMachineArn?: string;
}

/** Property names of the ModerationJob custom resource. */
export const ModerationJobProperty = {
  MANIFEST_BUCKET: 'ManifestBucket',
  MANIFEST_KEY: 'ManifestKey',
  MANIFEST_VERSION: 'ManifestVersion',
  OUTPUT_BUCKET: 'OutputBucket',
  OUTPUT_PREFIX: 'OutputPrefix',
  KMS_KEY_ID: 'KmsKeyId',
  MIN_CONFIDENCE: 'MinConfidence',
  PROJECT_VERSION: 'ProjectVersion',
  JOB_NAME: 'JobName',
  JOB_NAME_PREFIX: 'JobNamePrefix',
  WAIT_FOR_COMPLETION: 'WaitForCompletion',
  ENGINE: 'Engine',
  PER_IMAGE_STATE_MACHINE_ARN: 'PerImageStateMachineArn',
} as const satisfies Record<string, keyof ModerationJobResourceProperties>;

/** Values of the Engine property. */
export const ModerationJobEngine = {
  BULK: 'bulk',
  PER_IMAGE: 'per-image',
  AUTO: 'auto',
} as const satisfies Record<string, NonNullable<ModerationJobResourceProperties['Engine']>>;

/**
 * Attribute names (Fn::GetAtt) the ModerationJob custom resource returns.
 * The physical resource id is the JobId: a Rekognition JobId, or the per-image execution's ARN.
 */
export const ModerationJobAttribute = {
  /** Rekognition JobId, or the ARN of the per-image workflow's execution (always). */
  JOB_ID: 'JobId',
  /** JobName given to Rekognition (always). */
  JOB_NAME: 'JobName',
  /** S3KeyPrefix under which Rekognition writes the results (always). */
  OUTPUT_PREFIX: 'OutputPrefix',
  /** ClientRequestToken of the StartMediaAnalysisJob call, also the per-image execution's name (always). */
  CLIENT_REQUEST_TOKEN: 'ClientRequestToken',
  /** 'per-image' when the manifest ran per image (Engine 'per-image', or 'auto' after a refusal); absent for a bulk job. */
  ENGINE: 'Engine',
  /** s3://bucket/key of the output manifest (only with WaitForCompletion 'true'). */
  RESULTS_LOCATION: 'ResultsLocation',
  /** s3://bucket/key of the manifest summary (only with WaitForCompletion 'true'). */
  SUMMARY_LOCATION: 'SummaryLocation',
  /** Final job (or per-image run) status, SUCCEEDED (only with WaitForCompletion 'true'). */
  STATUS: 'Status',
} as const;

/**
 * The properties as the construct knows them: MinConfidence a number (maybe a token) and
 * WaitForCompletion a boolean; `moderationJobProperties` writes them as CloudFormation strings.
 */
export type ModerationJobSettings = Omit<ModerationJobResourceProperties, 'MinConfidence' | 'WaitForCompletion'> & {
  readonly MinConfidence?: number;
  readonly WaitForCompletion: boolean;
};

/**
 * The custom resource's properties: every value a string (what the handler receives from
 * CloudFormation anyway), absent ones left out so a property added later changes no deployed
 * resource. `stringify` keeps the construct's number tokens tokens.
 */
export function moderationJobProperties(settings: ModerationJobSettings, stringify?: Stringify): Record<string, string> {
  const properties: Partial<Record<keyof ModerationJobResourceProperties, string | number | boolean>> = settings;
  return writeEnvironment(properties, stringify);
}

/**
 * The onEvent function's environment. The tracking workflow's ARN is no resource property on
 * purpose: properties make the job's ClientRequestToken, so adding or removing it would start a
 * new (paid) job on the next deployment of an existing stack.
 */
export const ModerationJobEnvironment = {
  /**
   * The pipeline's tracking state machine: onEvent starts one execution for each bulk job it
   * starts, so the job's results get the pipeline's policy and one completion event. Absent: not reported.
   */
  TRACKING_STATE_MACHINE_ARN: 'TRACKING_STATE_MACHINE_ARN',
} as const;

export interface ModerationJobHandlerSettings {
  readonly trackingStateMachineArn?: string;
}

export function moderationJobEnvironment(settings: ModerationJobHandlerSettings, stringify?: Stringify): Record<string, string> {
  return writeEnvironment({ [ModerationJobEnvironment.TRACKING_STATE_MACHINE_ARN]: settings.trackingStateMachineArn }, stringify);
}

/** Throws ConfigError when the ARN is malformed. */
export function readModerationJobEnvironment(env: Readonly<Record<string, string | undefined>>): ModerationJobHandlerSettings {
  const reader = new EnvironmentReader(env);
  return { trackingStateMachineArn: reader.optionalString(ModerationJobEnvironment.TRACKING_STATE_MACHINE_ARN, stateMachineArnProblem) };
}
