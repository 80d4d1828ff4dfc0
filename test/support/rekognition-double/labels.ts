/**
 * What the double "sees" in an image: a pure function of the image's key, so that the bulk job's
 * output manifest and DetectModerationLabels agree image for image.
 */
export interface ModerationLabel {
  readonly Name: string;
  readonly ParentName: string;
  readonly TaxonomyLevel: number;
  readonly Confidence: number;
}

export interface ContentType {
  readonly Name: string;
  readonly Confidence: number;
}

export interface ImageModeration {
  readonly ModerationLabels: ModerationLabel[];
  readonly ModerationModelVersion: '7.0';
  readonly ContentTypes: ContentType[];
}

/** Rekognition returns labels at or above 50% when no MinConfidence is given. */
export const DEFAULT_MIN_CONFIDENCE = 50;
export const MODERATION_MODEL_VERSION = '7.0';

/** Marker in the key (case-insensitive) -> the labels of such an image, in taxonomy order. */
export const LABEL_RULES: ReadonlyArray<{ readonly marker: string; readonly labels: readonly ModerationLabel[] }> = [
  {
    marker: 'explicit',
    labels: [
      { Name: 'Explicit', ParentName: '', TaxonomyLevel: 1, Confidence: 97.1 },
      { Name: 'Explicit Nudity', ParentName: 'Explicit', TaxonomyLevel: 2, Confidence: 96.2 },
    ],
  },
  {
    marker: 'violence',
    labels: [
      { Name: 'Violence', ParentName: '', TaxonomyLevel: 1, Confidence: 91.3 },
      { Name: 'Graphic Violence', ParentName: 'Violence', TaxonomyLevel: 2, Confidence: 88.4 },
      { Name: 'Blood & Gore', ParentName: 'Graphic Violence', TaxonomyLevel: 3, Confidence: 80.5 },
    ],
  },
  {
    // Between the default 50 and the example app's 60: flagged or not depending on MinConfidence.
    marker: 'swimwear',
    labels: [
      { Name: 'Swimwear or Underwear', ParentName: '', TaxonomyLevel: 1, Confidence: 55.4 },
    ],
  },
];

export const CONTENT_TYPE_RULES: ReadonlyArray<{ readonly marker: string; readonly contentType: ContentType }> = [
  { marker: 'animated', contentType: { Name: 'Animated', Confidence: 72.7 } },
  { marker: 'illustrated', contentType: { Name: 'Illustrated', Confidence: 81.9 } },
];

/** The moderation result of the image stored under `key`, filtered by `minConfidence`. */
export function moderateImageKey(key: string, minConfidence: number = DEFAULT_MIN_CONFIDENCE): ImageModeration {
  const lower = key.toLowerCase();
  return {
    ModerationLabels: LABEL_RULES
      .filter((rule) => lower.includes(rule.marker))
      .flatMap((rule) => rule.labels)
      .filter((label) => label.Confidence >= minConfidence)
      .map((label) => ({ ...label })),
    ModerationModelVersion: MODERATION_MODEL_VERSION,
    ContentTypes: CONTENT_TYPE_RULES.filter((rule) => lower.includes(rule.marker)).map((rule) => ({ ...rule.contentType })),
  };
}

/** JPEG and PNG only, judged by the key's extension. */
export function isSupportedImageKey(key: string): boolean {
  return /\.(jpe?g|png)$/i.test(key);
}
