import { type EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { IMAGE_FLAGGED_DETAIL_TYPE, type ImageFlaggedDetail } from '../../lib/actions/actions-contract';
import { MODERATION_EVENT_SOURCE } from '../../lib/events/completion-event-contract';

/** PutEvents takes at most 10 entries a call. */
export const EVENTS_PER_CALL = 10;

export interface RetryOptions {
  /** Calls for one batch before giving up (the workflow then retries the whole step). */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly sleep: (ms: number) => Promise<void>;
}

export const DEFAULT_EVENT_RETRY: RetryOptions = {
  attempts: 6,
  baseDelayMs: 200,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Publishes the details in calls of 10. Entries EventBridge fails (throttling, internal
 * failures) are sent again, alone, with exponential backoff and full jitter; what still fails is
 * thrown as ThrottlingException, an error the workflow retries: no event is dropped.
 */
export async function publishImageEvents(
  events: EventBridgeClient,
  details: readonly ImageFlaggedDetail[],
  eventBusName: string | undefined,
  retry: RetryOptions = DEFAULT_EVENT_RETRY,
): Promise<number> {
  for (let start = 0; start < details.length; start += EVENTS_PER_CALL) {
    let pending: PutEventsRequestEntry[] = details.slice(start, start + EVENTS_PER_CALL).map((detail) => ({
      Source: MODERATION_EVENT_SOURCE,
      DetailType: IMAGE_FLAGGED_DETAIL_TYPE,
      Detail: JSON.stringify(detail),
      ...(eventBusName && { EventBusName: eventBusName }),
    }));
    const codes = new Set<string>();
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > retry.attempts) {
        const error = new Error(`EventBridge did not accept ${pending.length} image events after ${retry.attempts} calls (${[...codes].join(', ')})`);
        error.name = 'ThrottlingException';
        throw error;
      }
      if (attempt > 1) await retry.sleep(Math.random() * retry.baseDelayMs * 2 ** (attempt - 2));
      const response = await events.send(new PutEventsCommand({ Entries: pending }));
      if (!response.FailedEntryCount) break;
      const entries = response.Entries ?? [];
      // Without one answer per entry, which failed is unknown: send them all again (ids let consumers deduplicate).
      if (entries.length !== pending.length) continue;
      pending = pending.filter((_, index) => {
        const code = entries[index]?.ErrorCode;
        if (code) codes.add(code);
        return Boolean(code);
      });
    }
  }
  return details.length;
}
