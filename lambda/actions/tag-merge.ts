import { MAX_OBJECT_TAGS, type MatchedLabel, ModerationTag } from '../../lib/actions/actions-contract';

export interface Tag {
  Key: string;
  Value: string;
}

export type TagMerge =
  | { fits: true; tagSet: Tag[]; labelsDropped: boolean }
  /** Not even moderation:status and moderation:token fit beside the object's own tags. */
  | { fits: false; ownTags: number };

const OUR_KEYS = new Set<string>(Object.values(ModerationTag));
const MAX_TAG_VALUE = 256;

/**
 * The object's own tags with the moderation tags set (PutObjectTagging replaces the whole set).
 * moderation:status and moderation:token are required; moderation:labels is dropped first when
 * the object's own tags leave no room for it.
 */
export function mergeTags(existing: readonly Tag[], status: string, token: string, matched: readonly MatchedLabel[]): TagMerge {
  const own = existing.filter((tag) => !OUR_KEYS.has(tag.Key));
  const required: Tag[] = [{ Key: ModerationTag.STATUS, Value: status }, { Key: ModerationTag.TOKEN, Value: token }];
  if (own.length + required.length > MAX_OBJECT_TAGS) {
    return { fits: false, ownTags: own.length };
  }
  const labels = labelsTagValue(matched);
  if (labels === '') {
    return { fits: true, tagSet: [...own, ...required], labelsDropped: false };
  }
  const room = own.length + required.length < MAX_OBJECT_TAGS;
  return {
    fits: true,
    tagSet: room ? [...own, ...required, { Key: ModerationTag.LABELS, Value: labels }] : [...own, ...required],
    labelsDropped: !room,
  };
}

/**
 * Distinct matched label names, highest confidence first, '/'-separated, within 256 characters.
 * Characters outside the set every AWS tagging API accepts (letters, digits, spaces, + - = . _ : / @)
 * are replaced: '&' by 'and', anything else by '_'.
 */
export function labelsTagValue(matched: readonly MatchedLabel[]): string {
  const names = [...new Set(matched.map((label) => label.name))]
    .map((name) => name.replace(/&/g, 'and').replace(/[^\p{L}\p{N} +\-=._:@]/gu, '_'));
  let value = '';
  for (const name of names) {
    const next = value === '' ? name : `${value}/${name}`;
    if (next.length > MAX_TAG_VALUE) break;
    value = next;
  }
  return value;
}
