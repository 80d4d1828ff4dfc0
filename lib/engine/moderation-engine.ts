import { Duration } from 'aws-cdk-lib';

/**
 * Options of the per-image engine.
 */
export interface PerImageEngineOptions {
  /**
   * DetectModerationLabels calls per second that one manifest's run aims at (1-1000). Keep it
   * below your account's DetectModerationLabels quota in the Region, shared with everything else
   * that calls it; throttled calls are retried with backoff, so a too-high value costs retries,
   * not images.
   *
   * @default 5 (the lowest published default quota)
   */
  readonly imagesPerSecond?: number;

  /**
   * Share of a manifest's lines (0-1) that may fail (invalid lines, images Rekognition refuses)
   * before the run is reported FAILED. Failed lines are listed in the summary either way.
   *
   * @default 0.1
   */
  readonly maxFailureShare?: number;

  /**
   * Longest run of one manifest.
   *
   * @default Duration.days(1)
   */
  readonly timeout?: Duration;
}

/** The kinds of engine, as the trigger's ENGINE variable names them. */
export enum ModerationEngineKind {
  BULK = 'bulk',
  PER_IMAGE = 'per-image',
  AUTO = 'auto',
}

/**
 * How a manifest is moderated: one Rekognition bulk analysis job (StartMediaAnalysisJob), or
 * image by image (DetectModerationLabels) in a Step Functions workflow, for accounts without
 * bulk analysis. Both read the same manifests and write the same files and events.
 */
export class ModerationEngine {
  /** StartMediaAnalysisJob: one bulk analysis job per manifest. Needs an account with bulk analysis. */
  public static bulk(): ModerationEngine {
    return new ModerationEngine(ModerationEngineKind.BULK, {});
  }

  /** DetectModerationLabels image by image, in a Step Functions Distributed Map. Works in every account. */
  public static perImage(options: PerImageEngineOptions = {}): ModerationEngine {
    return new ModerationEngine(ModerationEngineKind.PER_IMAGE, options);
  }

  /**
   * Bulk analysis, falling back to the per-image engine for a manifest when the account is
   * refused bulk analysis; the completion event says so (`engine`, `fallbackReason`).
   */
  public static auto(options: PerImageEngineOptions = {}): ModerationEngine {
    return new ModerationEngine(ModerationEngineKind.AUTO, options);
  }

  private constructor(
    /** Which engine. */
    public readonly kind: ModerationEngineKind,
    /** Options of the per-image engine (for PER_IMAGE and AUTO). */
    public readonly perImageOptions: PerImageEngineOptions,
  ) {}

  /** Whether this engine needs the per-image workflow. */
  public get usesPerImage(): boolean {
    return this.kind !== ModerationEngineKind.BULK;
  }
}
