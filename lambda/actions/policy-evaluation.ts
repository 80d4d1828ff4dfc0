import {
  ActionName,
  type MatchedLabel,
  ModerationStatus,
  type PolicyDocument,
  type PolicyRuleDocument,
} from '../../lib/actions/actions-contract';
import { type ModerationLabel, topLevelName } from '../common/job-results';

/** What the policy decides for one image. */
export interface ImageVerdict {
  status: typeof ModerationStatus.CLEAN | typeof ModerationStatus.FLAGGED | typeof ModerationStatus.QUARANTINED;
  /** The union of the matched rules' actions (empty when clean). */
  actions: ActionName[];
  /** Matched labels, highest confidence first. */
  matched: MatchedLabel[];
  /** Whether the object is to be tagged. */
  tag: boolean;
  /** Whether a 'Moderation Image Flagged' event is to be published. */
  event: boolean;
}

/**
 * Applies the policy to an image's labels. Each label is governed by the most specific rule on
 * its own name, its parent or its top-level category, else by otherLabels; it matches when its
 * confidence reaches that rule's threshold.
 */
export function evaluateImage(labels: readonly ModerationLabel[], policy: PolicyDocument): ImageVerdict {
  const rules = new Map(policy.rules.map((rule) => [rule.label, rule]));
  const byName = new Map(labels.map((label) => [label.Name, label]));
  const matched: MatchedLabel[] = [];
  const actions = new Set<ActionName>();
  for (const label of labels) {
    const rule = governingRule(label, byName, rules) ?? policy.otherLabels;
    if (rule && label.Confidence >= rule.minConfidence) {
      matched.push({ name: label.Name, parentName: label.ParentName, confidence: label.Confidence, rule: rule.label });
      rule.actions.forEach((action) => actions.add(action));
    }
  }
  matched.sort((a, b) => b.confidence - a.confidence || a.name.localeCompare(b.name));
  const status = actions.has(ActionName.QUARANTINE) ? ModerationStatus.QUARANTINED
    : matched.length > 0 ? ModerationStatus.FLAGGED : ModerationStatus.CLEAN;
  return {
    status,
    actions: [...actions].sort(),
    matched,
    tag: actions.has(ActionName.TAG) || actions.has(ActionName.QUARANTINE) || (status === ModerationStatus.CLEAN && policy.tagCleanImages),
    event: actions.has(ActionName.EVENT),
  };
}

function governingRule(
  label: ModerationLabel,
  byName: ReadonlyMap<string, ModerationLabel>,
  rules: ReadonlyMap<string, PolicyRuleDocument>,
): PolicyRuleDocument | undefined {
  for (const name of [label.Name, label.ParentName, topLevelName(label, byName)]) {
    const rule = name ? rules.get(name) : undefined;
    if (rule) return rule;
  }
  return undefined;
}
