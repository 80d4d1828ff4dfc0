/**
 * The contract between the moderation actions (lib/actions: the policy, the function, the
 * workflow step) and the actions handler (lambda/actions): its environment, the policy document
 * it reads, the tags it writes, the per-image event it publishes, the files it leaves and what
 * it answers the workflow. Imports nothing from aws-cdk-lib: the handler bundles it.
 */
import { EnvironmentReader, type Stringify, writeEnvironment } from '../common/contract/environment';
import type { TrackingStep } from '../tracking/tracking-contract';

/** The actions function's exported handler (assets/actions/index.mjs). */
export const ACTIONS_HANDLER = 'handler';

export const ActionsEnvironment = {
  /** The policy as JSON (a PolicyDocument). */
  POLICY: 'MODERATION_POLICY',
  /** detail.pipeline of every image event. */
  PIPELINE_ID: 'PIPELINE_ID',
  /** Name or ARN of the bus the image events go to; absent: the default bus. */
  EVENT_BUS_NAME: 'EVENT_BUS_NAME',
  /** Key that encrypts the report and the checkpoint. */
  KMS_KEY_ID: 'KMS_KEY_ID',
} as const;

/** What an image's matched rules ask for. */
export const ActionName = {
  /** Tag the object version: moderation:status, moderation:labels, moderation:token. */
  TAG: 'TAG',
  /** Tag it `quarantined`: the bucket policy then denies reading it (implies TAG). */
  QUARANTINE: 'QUARANTINE',
  /** Publish one 'Moderation Image Flagged' event for it. */
  EVENT: 'EVENT',
} as const;
export type ActionName = typeof ActionName[keyof typeof ActionName];
const ACTION_NAMES: readonly string[] = Object.values(ActionName);

/**
 * A threshold that was a token at synth (e.g. a CfnParameter): the actions function's variable
 * that carries it, so CloudFormation resolves it and the handler checks it when it starts.
 */
export interface ThresholdVariable {
  variable: string;
}

/** Threshold variables are named `MODERATION_THRESHOLD_<n>`. */
export const THRESHOLD_VARIABLE_PREFIX = 'MODERATION_THRESHOLD_';

export interface PolicyRuleDocument<Threshold = number> {
  /** An L1 or L2 label name of taxonomy v7; '*' for the otherLabels rule. */
  label: string;
  minConfidence: Threshold;
  actions: ActionName[];
}

/** The policy as the handler reads it (every threshold a number). */
export interface PolicyDocument<Threshold = number> {
  version: 1;
  rules: Array<PolicyRuleDocument<Threshold>>;
  /** Labels no rule names (nor their parents): absent, they flag nothing. */
  otherLabels?: PolicyRuleDocument<Threshold>;
  /** Whether images no rule matches get `moderation:status=clean`. */
  tagCleanImages: boolean;
}

/** The policy as the construct writes it: a threshold may name its variable instead. */
export type WrittenPolicyDocument = PolicyDocument<number | ThresholdVariable>;
export type WrittenRuleDocument = PolicyRuleDocument<number | ThresholdVariable>;

/** Why a written policy (thresholds possibly by variable) is unusable, or undefined. */
function writtenPolicyProblem(value: unknown): string | undefined {
  const number = (threshold: unknown): unknown => (isThresholdVariable(threshold) ? 0 : threshold);
  if (!isRecord(value) || !Array.isArray(value.rules)) return policyDocumentProblem(value);
  return policyDocumentProblem({
    ...value,
    rules: value.rules.map((rule) => (isRecord(rule) ? { ...rule, minConfidence: number(rule.minConfidence) } : rule)),
    ...(isRecord(value.otherLabels) && { otherLabels: { ...value.otherLabels, minConfidence: number(value.otherLabels.minConfidence) } }),
  });
}

function isThresholdVariable(value: unknown): value is ThresholdVariable {
  return isRecord(value) && typeof value.variable === 'string' && value.variable.startsWith(THRESHOLD_VARIABLE_PREFIX);
}

/** Why a parsed value is not a usable PolicyDocument, or undefined. Used at synth and in the handler. */
export function policyDocumentProblem(value: unknown): string | undefined {
  if (!isRecord(value) || value.version !== 1) return 'must be a policy document of version 1';
  if (!Array.isArray(value.rules)) return 'must list its rules';
  if (typeof value.tagCleanImages !== 'boolean') return 'must say whether clean images are tagged';
  const rules = [...value.rules, ...(value.otherLabels === undefined ? [] : [value.otherLabels])];
  for (const rule of rules) {
    const problem = ruleProblem(rule);
    if (problem) return problem;
  }
  if (value.rules.length === 0 && value.otherLabels === undefined) return 'must have at least one rule or otherLabels';
  return undefined;
}

/** Why a rule is unusable, or undefined. */
export function ruleProblem(rule: unknown): string | undefined {
  if (!isRecord(rule) || typeof rule.label !== 'string' || rule.label === '') return 'has a rule without a label';
  if (typeof rule.minConfidence !== 'number' || !(rule.minConfidence >= 0 && rule.minConfidence <= 100)) {
    return `rule '${rule.label}' must have a minConfidence between 0 and 100 (given ${String(rule.minConfidence)})`;
  }
  if (!Array.isArray(rule.actions) || rule.actions.length === 0 || rule.actions.some((action) => !ACTION_NAMES.includes(action as string))) {
    return `rule '${rule.label}' must name one or more actions of ${ACTION_NAMES.join(', ')} (given [${String(rule.actions)}])`;
  }
  return undefined;
}

export interface ActionsSettings {
  policy: PolicyDocument;
  pipelineId?: string;
  eventBusName?: string;
  kmsKeyId?: string;
}

/** What the construct writes: the policy as written, and the thresholds it refers to by variable. */
export interface ActionsEnvironmentSettings extends Omit<ActionsSettings, 'policy'> {
  policy: WrittenPolicyDocument;
  /** Variable name -> threshold (a token at synth). */
  thresholds?: Record<string, number>;
}

export function actionsEnvironment(settings: ActionsEnvironmentSettings, stringify?: Stringify): Record<string, string> {
  return writeEnvironment({
    [ActionsEnvironment.POLICY]: JSON.stringify(settings.policy),
    [ActionsEnvironment.PIPELINE_ID]: settings.pipelineId,
    [ActionsEnvironment.EVENT_BUS_NAME]: settings.eventBusName,
    [ActionsEnvironment.KMS_KEY_ID]: settings.kmsKeyId,
    ...settings.thresholds,
  }, stringify);
}

export function readActionsSettings(env: Readonly<Record<string, string | undefined>>): ActionsSettings {
  const reader = new EnvironmentReader(env);
  const written = JSON.parse(reader.requiredString(ActionsEnvironment.POLICY, (text) => {
    try {
      return writtenPolicyProblem(JSON.parse(text));
    } catch {
      return 'must be JSON';
    }
  })) as WrittenPolicyDocument;
  // A threshold given as a token at synth is read (and checked) from its own variable.
  const threshold = (value: number | ThresholdVariable): number => (typeof value === 'number'
    ? value
    : reader.requiredNumber(value.variable, { min: 0, max: 100 }));
  const resolveRule = (rule: WrittenRuleDocument): PolicyRuleDocument => ({ ...rule, minConfidence: threshold(rule.minConfidence) });
  const policy: PolicyDocument = {
    version: written.version,
    rules: written.rules.map(resolveRule),
    ...(written.otherLabels && { otherLabels: resolveRule(written.otherLabels) }),
    tagCleanImages: written.tagCleanImages,
  };
  return {
    policy,
    pipelineId: reader.optionalString(ActionsEnvironment.PIPELINE_ID),
    eventBusName: reader.optionalString(ActionsEnvironment.EVENT_BUS_NAME),
    kmsKeyId: reader.optionalString(ActionsEnvironment.KMS_KEY_ID),
  };
}

/** The object tags the actions write; every other tag of the object is kept. */
export const ModerationTag = {
  STATUS: 'moderation:status',
  /** The image's matched labels, highest confidence first, '/'-separated, clipped to 256 characters. */
  LABELS: 'moderation:labels',
  /** The job's ClientRequestToken: an image carrying it was already tagged by this job. */
  TOKEN: 'moderation:token',
} as const;

/** Values of moderation:status (`released` is set by a reviewer, never by the library). */
export const ModerationStatus = {
  CLEAN: 'clean',
  FLAGGED: 'flagged',
  QUARANTINED: 'quarantined',
  RELEASED: 'released',
} as const;
export type ModerationStatus = typeof ModerationStatus[keyof typeof ModerationStatus];

/** S3's limit of tags per object version. */
export const MAX_OBJECT_TAGS = 10;

/** `detail-type` of the per-image event. */
export const IMAGE_FLAGGED_DETAIL_TYPE = 'Moderation Image Flagged';

/** `detail.version` of the per-image event (docs/image-flagged-event-schema.json). */
export const IMAGE_FLAGGED_DETAIL_VERSION = '1';

/** A label of the image that matched a rule. */
export interface MatchedLabel {
  name: string;
  parentName: string;
  confidence: number;
  /** The rule's label that matched it ('*': otherLabels). */
  rule: string;
}

/** `detail` of the 'Moderation Image Flagged' event, version 1. */
export interface ImageFlaggedDetail {
  version: typeof IMAGE_FLAGGED_DETAIL_VERSION;
  /** sha256 of token, bucket, key and version: the same for every delivery of this image's verdict, for deduplication. */
  eventId: string;
  pipeline: string | null;
  token: string;
  jobId: string | null;
  image: { bucket: string; key: string; version: string | null };
  status: typeof ModerationStatus.FLAGGED | typeof ModerationStatus.QUARANTINED;
  actions: ActionName[];
  /** Names of the matched labels, for event patterns (`detail.labelNames`). */
  labelNames: string[];
  labels: MatchedLabel[];
  manifest: { bucket: string; key: string; version: string | null };
}

/** Files the actions leave in the manifest's folder (output.prefix). */
export const ACTIONS_REPORT_NAME = 'actions-report.json';
export const ACTIONS_CHECKPOINT_NAME = 'actions-checkpoint.json';

export function actionsFileKey(prefix: string, name: string): string {
  const folder = prefix.replace(/\/+$/, '');
  return folder === '' ? name : `${folder}/${name}`;
}

/** Per-image failure reasons in the report. */
export const ActionFailureCode = {
  /** The object (NoSuchKey) or its version (NoSuchVersion) is gone. */
  OBJECT_GONE: 'OBJECT_GONE',
  ACCESS_DENIED: 'ACCESS_DENIED',
  /** The object already has so many tags that moderation:status and moderation:token do not fit. */
  TAG_LIMIT: 'TAG_LIMIT',
  /** The source-ref is not an s3:// URI. */
  BAD_SOURCE_REF: 'BAD_SOURCE_REF',
  /** S3 refused the request for another permanent reason (its error code is in the message). */
  REJECTED: 'REJECTED',
  /**
   * Not a failure of the actions (report list `versionNotCurrent`): the version moderated, named
   * by the manifest's image-versions file, was actioned, but a newer version is current and was
   * left untagged (never tagged clean unmoderated).
   */
  VERSION_NOT_CURRENT: 'VERSION_NOT_CURRENT',
} as const;

export type { ActionCounts } from '../events/completion-event-contract';

/** What the actions step answers: the tracker's step with `detail.actions` added. */
export interface ActionsStep extends TrackingStep {
  /** false: the time budget ran out; the workflow invokes the step again, which resumes from the checkpoint. */
  actionsComplete: boolean;
}

// Field name checked against the type, so a rename breaks the build, not the workflow.
const COMPLETE_FIELD = 'actionsComplete' satisfies keyof ActionsStep;

/** JSON paths of the actions step (it writes the tracking state's `step`). */
export const ActionsPath = {
  STEP: '$.step',
  COMPLETE: `$.step.${COMPLETE_FIELD}`,
} as const;

export const ActionsState = {
  APPLY: 'ApplyModerationActions',
  COMPLETE: 'ActionsComplete?',
} as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
