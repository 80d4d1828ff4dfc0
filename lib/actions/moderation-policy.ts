import { Token } from 'aws-cdk-lib';
import { ActionName, THRESHOLD_VARIABLE_PREFIX, type ThresholdVariable, type WrittenPolicyDocument, type WrittenRuleDocument } from './actions-contract';
import { moderationLabelAncestors, moderationLabelProblem } from './moderation-taxonomy';

/** What happens to an image that a rule matches. */
export enum ModerationAction {
  /** Tag the object version: `moderation:status=flagged`, its labels and the job's token. */
  TAG = 'TAG',
  /**
   * Tag it `moderation:status=quarantined`: the bucket policy of the buckets the pipeline owns
   * then denies reading it to all but the reviewers (`grantReviewQuarantined`). Implies TAG.
   */
  QUARANTINE = 'QUARANTINE',
  /** Publish one 'Moderation Image Flagged' event for it on the pipeline's bus. */
  EVENT = 'EVENT',
}

/** Threshold and actions of one rule. */
export interface ModerationRuleOptions {
  /**
   * The label's confidence (0-100) at or above which the rule matches. May be a token (e.g. a
   * `CfnParameter`'s `valueAsNumber`): it then reaches the actions function as its own
   * environment variable, checked when the function starts.
   *
   * @default - the pipeline's `minConfidence`, else 50 (Rekognition's default)
   */
  readonly minConfidence?: number;

  /** What to do with an image the rule matches (at least one). */
  readonly actions: ModerationAction[];
}

/**
 * One rule of a {@link ModerationPolicy}: an image matches when it carries the label (a top-level
 * or second-level label of Rekognition's moderation taxonomy v7, spelled as Rekognition spells
 * it) at or above the rule's confidence. A third-level label counts towards its parents' rules,
 * as Rekognition reports the parents with it.
 */
export class ModerationRule {
  /** A rule on one label, e.g. `ModerationRule.label('Explicit', { minConfidence: 80, actions: [ModerationAction.QUARANTINE] })`. */
  public static label(name: string, options: ModerationRuleOptions): ModerationRule {
    return new ModerationRule(name, options);
  }

  private constructor(
    /** The label the rule matches. */
    public readonly labelName: string,
    /** Its threshold and actions. */
    public readonly options: ModerationRuleOptions,
  ) {}
}

/** Properties of a {@link ModerationPolicy}. */
export interface ModerationPolicyProps {
  /**
   * Rules on named labels. An image may match several: it gets the union of their actions.
   *
   * @default - none: only `otherLabels` applies
   */
  readonly rules?: ModerationRule[];

  /**
   * The rule for every label that no rule names, nor a parent of it.
   *
   * @default - labels no rule names flag nothing
   */
  readonly otherLabels?: ModerationRuleOptions;

  /**
   * Whether images that no rule matches are tagged `moderation:status=clean` (with the job's
   * token), so that an application can tell "checked and clean" from "not checked yet". Costs
   * one tagging request per clean image.
   *
   * @default true
   */
  readonly tagCleanImages?: boolean;
}

/**
 * What a pipeline does with each image once its job has finished: per-label thresholds, each
 * naming its actions (tag, quarantine, event). Label names are checked at synth against
 * Rekognition's moderation taxonomy v7.
 */
export class ModerationPolicy {
  /** A policy of the given rules. */
  public static of(props: ModerationPolicyProps): ModerationPolicy {
    return new ModerationPolicy(props);
  }

  private constructor(private readonly props: ModerationPolicyProps) {}

  /** Whether some rule quarantines: the pipeline then adds the bucket-policy statement. */
  public get quarantines(): boolean {
    return this.allRules().some((rule) => rule.actions.includes(ModerationAction.QUARANTINE));
  }

  /** Whether some rule publishes events. */
  public get publishesEvents(): boolean {
    return this.allRules().some((rule) => rule.actions.includes(ModerationAction.EVENT));
  }

  /**
   * What is wrong with the policy, each message naming the prop and the value given (internal:
   * the pipeline reports them with its other prop errors).
   *
   * @internal
   */
  public _problems(prop: string): string[] {
    const problems: string[] = [];
    const rules = this.props.rules ?? [];
    if (rules.length === 0 && this.props.otherLabels === undefined) {
      problems.push(`${prop} must have at least one rule or otherLabels (given none)`);
    }
    const seen = new Set<string>();
    rules.forEach((rule, index) => {
      const at = `${prop}.rules[${index}]`;
      if (!Token.isUnresolved(rule.labelName)) {
        const problem = moderationLabelProblem(rule.labelName);
        if (problem) problems.push(`${at}.label ${problem} (given '${rule.labelName}')`);
        if (seen.has(rule.labelName)) problems.push(`${at}.label repeats '${rule.labelName}': give each label one rule`);
        seen.add(rule.labelName);
      }
      problems.push(...optionsProblems(at, rule.options));
    });
    if (this.props.otherLabels) problems.push(...optionsProblems(`${prop}.otherLabels`, this.props.otherLabels));
    return problems;
  }

  /**
   * Why no image event can list `labelName` under this policy, or undefined. An event lists every
   * matched label and the rules that matched them, so a label can appear when some rule governs
   * it (its own, its parent's, its category's, else otherLabels); `labelName` is a taxonomy name.
   *
   * @internal
   */
  public _eventLabelProblem(labelName: string): string | undefined {
    const ruleLabels = (this.props.rules ?? []).map((rule) => rule.labelName);
    // A rule label that is a token is only known at deploy time: it might govern any label.
    if (ruleLabels.some((name) => Token.isUnresolved(name))) return undefined;
    const governed = [labelName, ...moderationLabelAncestors(labelName) ?? []].some((name) => ruleLabels.includes(name));
    if (governed || this.props.otherLabels) return undefined;
    return `is matched by no rule of the pipeline's policy (rules on ${ruleLabels.map((name) => `'${name}'`).join(', ') || 'no label'}, no otherLabels), `
      + 'so no image event lists it and the rule would never match';
  }

  /**
   * The policy as written into the actions function's environment
   * (lib/actions/actions-contract.ts): a threshold that is a token at synth is written as the
   * variable that carries it, one variable per distinct token.
   *
   * @internal
   */
  public _document(defaultMinConfidence: number): { document: WrittenPolicyDocument; thresholds: Record<string, number> } {
    const thresholds: Record<string, number> = {};
    const variables = new Map<string, ThresholdVariable>();
    const written = (value: number): number | ThresholdVariable => {
      if (!Token.isUnresolved(value)) return value;
      const key = Token.asString(value);
      let reference = variables.get(key);
      if (!reference) {
        reference = { variable: `${THRESHOLD_VARIABLE_PREFIX}${variables.size}` };
        variables.set(key, reference);
        thresholds[reference.variable] = value;
      }
      return reference;
    };
    const toRule = (label: string, options: ModerationRuleOptions): WrittenRuleDocument => ({
      label,
      minConfidence: written(options.minConfidence ?? defaultMinConfidence),
      actions: [...new Set(options.actions)].map((action) => ActionName[action]),
    });
    const document: WrittenPolicyDocument = {
      version: 1,
      rules: (this.props.rules ?? []).map((rule) => toRule(rule.labelName, rule.options)),
      ...(this.props.otherLabels && { otherLabels: toRule('*', this.props.otherLabels) }),
      tagCleanImages: this.props.tagCleanImages ?? true,
    };
    return { document, thresholds };
  }

  private allRules(): ModerationRuleOptions[] {
    return [...(this.props.rules ?? []).map((rule) => rule.options), ...(this.props.otherLabels ? [this.props.otherLabels] : [])];
  }
}

function optionsProblems(at: string, options: ModerationRuleOptions): string[] {
  const problems: string[] = [];
  const { minConfidence, actions } = options;
  if (minConfidence !== undefined && !Token.isUnresolved(minConfidence) && !(minConfidence >= 0 && minConfidence <= 100)) {
    problems.push(`${at}.minConfidence must be a number between 0 and 100 (given ${minConfidence})`);
  }
  if (!actions || actions.length === 0) {
    problems.push(`${at}.actions must name at least one ModerationAction (given [])`);
  }
  return problems;
}
