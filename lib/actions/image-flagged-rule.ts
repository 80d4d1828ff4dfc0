import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import { IMAGE_FLAGGED_DETAIL_TYPE } from './actions-contract';
import { MODERATION_EVENT_SOURCE } from '../events/completion-event-contract';

/** Options of {@link ModerationPipeline.onImageFlagged}. */
export interface ImageFlaggedRuleOptions extends events.OnEventOptions {
  /**
   * Only images with this label among their matched labels or the rules that matched them
   * (`detail.labelNames`), e.g. 'Explicit' or 'Graphic Violence'. Checked at synth (unless a
   * token): a label of Rekognition's moderation taxonomy v7 (any level) that some rule of the
   * pipeline's policy governs (its own, its parent's, its category's, or otherLabels).
   *
   * @default - every flagged image
   */
  readonly label?: string;
}

/** A rule matching one pipeline's 'Moderation Image Flagged' events. */
export function createImageFlaggedRule(
  scope: Construct,
  id: string,
  source: { eventBus: events.IEventBus; pipelineId: string },
  options: ImageFlaggedRuleOptions,
): events.Rule {
  const rule = new events.Rule(scope, id, {
    description: options.description ?? `Flagged images of ${source.pipelineId}`,
    ruleName: options.ruleName,
    eventBus: source.eventBus,
    eventPattern: {
      source: [MODERATION_EVENT_SOURCE],
      detailType: [IMAGE_FLAGGED_DETAIL_TYPE],
      detail: {
        pipeline: [source.pipelineId],
        ...options.label !== undefined ? { labelNames: [options.label] } : {},
      },
    },
  });
  if (options.eventPattern) rule.addEventPattern(options.eventPattern);
  if (options.target) rule.addTarget(options.target);
  return rule;
}
