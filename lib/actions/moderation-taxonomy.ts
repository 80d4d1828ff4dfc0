/**
 * Amazon Rekognition's moderation taxonomy, version 7 (ModerationModelVersion "7.0"): the
 * top-level (L1) categories and their second-level (L2) labels, the names a ModerationPolicy
 * rule may use. Third-level labels are left out on purpose: AWS recommends moderating on L1 or
 * L2 and using L3 only to exclude concepts.
 *
 * Source: Amazon Rekognition Developer Guide, "Using the image and video moderation APIs",
 * https://docs.aws.amazon.com/rekognition/latest/dg/moderation-api.html#moderation-api-categories
 * (read 2026-11-30). Imports nothing from aws-cdk-lib: the actions handler may bundle it.
 */
export const MODERATION_TAXONOMY_VERSION = '7.0';

export const MODERATION_TAXONOMY_SOURCE = 'https://docs.aws.amazon.com/rekognition/latest/dg/moderation-api.html#moderation-api-categories (read 2026-11-30)';

/** L1 category -> its L2 labels. */
export const MODERATION_TAXONOMY_V7: Readonly<Record<string, readonly string[]>> = {
  'Explicit': ['Explicit Nudity', 'Explicit Sexual Activity', 'Sex Toys'],
  'Non-Explicit Nudity of Intimate parts and Kissing': ['Non-Explicit Nudity', 'Obstructed Intimate Parts', 'Kissing on the Lips'],
  'Swimwear or Underwear': ['Female Swimwear or Underwear', 'Male Swimwear or Underwear'],
  'Violence': ['Weapons', 'Graphic Violence'],
  'Visually Disturbing': ['Death and Emaciation', 'Crashes'],
  'Drugs & Tobacco': ['Products', 'Drugs & Tobacco Paraphernalia & Use'],
  'Alcohol': ['Alcohol Use', 'Alcoholic Beverages'],
  'Rude Gestures': ['Middle Finger'],
  'Gambling': ['Gambling'],
  'Hate Symbols': ['Nazi Party', 'White Supremacy', 'Extremist'],
};

/** Every L1 and L2 name, for the synth-time check of policy rules. */
export const MODERATION_LABEL_NAMES: ReadonlySet<string> = new Set(
  Object.entries(MODERATION_TAXONOMY_V7).flatMap(([category, labels]) => [category, ...labels]),
);

/** Why `name` cannot be a rule's label, or undefined when it is an L1 or L2 name of taxonomy v7. */
export function moderationLabelProblem(name: string): string | undefined {
  if (MODERATION_LABEL_NAMES.has(name)) return undefined;
  const nearest = [...MODERATION_LABEL_NAMES].find((known) => known.toLowerCase() === name.toLowerCase());
  return `must be a top-level or second-level label of Rekognition's moderation taxonomy v7, spelled as Rekognition spells it`
    + (nearest ? ` (did you mean '${nearest}'?)` : '');
}
