/**
 * Amazon Rekognition's moderation taxonomy, version 7 (ModerationModelVersion "7.0"): the
 * top-level (L1) categories, their second-level (L2) labels and the third-level (L3) labels
 * below those. A ModerationPolicy rule may name an L1 or L2 label (AWS recommends moderating on
 * L1 or L2 and using L3 only to exclude concepts); `onImageFlagged({ label })` may name any level,
 * as an image event lists every matched label, L3 included.
 *
 * Source: Amazon Rekognition Developer Guide, "Using the image and video moderation APIs",
 * https://docs.aws.amazon.com/rekognition/latest/dg/moderation-api.html#moderation-api-categories
 * What was checked on 2026-11-30, and how far: the stored copy of that page (English and its
 * zh_CN / ko_KR translations, whose tables keep or mirror the English names) was readable only
 * from its start, which confirms the three-level structure, L1 'Explicit' > L2 'Explicit Nudity'
 * > L3 'Exposed Male Genitalia', 'Exposed Female Genitalia', 'Exposed Buttocks or Anus',
 * 'Exposed Female Nipple', the L2 'Explicit Sexual Activity' and 'Sex Toys' (no L3), and the L1
 * 'Non-Explicit Nudity of Intimate parts and Kissing' > 'Non-Explicit Nudity' > 'Bare Back',
 * 'Exposed Male Nipple', 'Partially Exposed Buttocks', 'Partially Exposed Female Breast'. The
 * rest of the table was checked against three independent public encodings of the v7 table in
 * application code (every L1, L2 and L3 name below agrees with all three, spelling and case
 * included). The awsdocs/amazon-rekognition-developer-guide repository was archived in 2023
 * with the v6 taxonomy, so it is no source for v7. One name is uncertain: whether 'Gambling' has
 * an L2 label of the same name (one encoding lists none); either way a rule or event pattern on
 * 'Gambling' means the same images. Imports nothing from aws-cdk-lib: the actions handler may
 * bundle it.
 */
export const MODERATION_TAXONOMY_VERSION = '7.0';

export const MODERATION_TAXONOMY_SOURCE = 'https://docs.aws.amazon.com/rekognition/latest/dg/moderation-api.html#moderation-api-categories (checked 2026-11-30)';

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

/** L2 label -> its L3 labels (L2 labels without any are left out). */
export const MODERATION_L3_LABELS_V7: Readonly<Record<string, readonly string[]>> = {
  'Explicit Nudity': ['Exposed Male Genitalia', 'Exposed Female Genitalia', 'Exposed Buttocks or Anus', 'Exposed Female Nipple'],
  'Non-Explicit Nudity': ['Bare Back', 'Exposed Male Nipple', 'Partially Exposed Buttocks', 'Partially Exposed Female Breast', 'Implied Nudity'],
  'Obstructed Intimate Parts': ['Obstructed Female Nipple', 'Obstructed Male Genitalia'],
  'Graphic Violence': ['Weapon Violence', 'Physical Violence', 'Self-Harm', 'Blood & Gore', 'Explosions and Blasts'],
  'Death and Emaciation': ['Emaciated Bodies', 'Corpses'],
  'Crashes': ['Air Crash'],
  'Products': ['Pills'],
  'Drugs & Tobacco Paraphernalia & Use': ['Smoking'],
  'Alcohol Use': ['Drinking'],
};

/** Every L1 and L2 name: what a policy rule may name. */
export const MODERATION_LABEL_NAMES: ReadonlySet<string> = new Set(
  Object.entries(MODERATION_TAXONOMY_V7).flatMap(([category, labels]) => [category, ...labels]),
);

/** Label -> its ancestors, nearest first ([] for an L1 category). */
const ANCESTORS: ReadonlyMap<string, readonly string[]> = new Map([
  ...Object.keys(MODERATION_TAXONOMY_V7).map((category): [string, string[]] => [category, []]),
  ...Object.entries(MODERATION_TAXONOMY_V7).flatMap(([category, labels]) => labels
    .filter((label) => label !== category)
    .flatMap((label): Array<[string, string[]]> => [
      [label, [category]],
      ...(MODERATION_L3_LABELS_V7[label] ?? []).map((l3): [string, string[]] => [l3, [label, category]]),
    ])),
]);

/** Every L1, L2 and L3 name: what an image event may list in `labelNames`. */
export const MODERATION_ALL_LABEL_NAMES: ReadonlySet<string> = new Set(ANCESTORS.keys());

/** The parent and top-level category of a label, nearest first; undefined outside the taxonomy. */
export function moderationLabelAncestors(name: string): readonly string[] | undefined {
  return ANCESTORS.get(name);
}

/** Why `name` cannot be a rule's label, or undefined when it is an L1 or L2 name of taxonomy v7. */
export function moderationLabelProblem(name: string): string | undefined {
  if (MODERATION_LABEL_NAMES.has(name)) return undefined;
  const level3 = MODERATION_ALL_LABEL_NAMES.has(name) ? ` ('${name}' is a third-level label: name its parent '${ANCESTORS.get(name)![0]}')` : '';
  return `must be a top-level or second-level label of Rekognition's moderation taxonomy v7, spelled as Rekognition spells it`
    + (level3 || didYouMean(name, MODERATION_LABEL_NAMES));
}

/** Why `name` is no label of taxonomy v7 at any level, or undefined. */
export function anyModerationLabelProblem(name: string): string | undefined {
  if (MODERATION_ALL_LABEL_NAMES.has(name)) return undefined;
  return `must be a label of Rekognition's moderation taxonomy v7 (any level), spelled as Rekognition spells it${didYouMean(name, MODERATION_ALL_LABEL_NAMES)}`;
}

function didYouMean(name: string, names: ReadonlySet<string>): string {
  const nearest = [...names].find((known) => known.toLowerCase() === name.toLowerCase());
  return nearest ? ` (did you mean '${nearest}'?)` : '';
}
