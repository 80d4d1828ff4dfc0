import { readBackfillSettings, type BackfillSettings } from '../../lib/backfill/backfill-contract';

let cached: BackfillSettings | undefined;

/** The handlers' settings, read from process.env on first use and kept for the container's life. */
export function backfillConfig(): BackfillSettings {
  cached ??= readBackfillSettings(process.env);
  return cached;
}
