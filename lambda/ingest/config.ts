import { readIngestSettings, type IngestSettings } from '../../lib/ingest/ingest-contract';

let cached: IngestSettings | undefined;

/** The batcher's settings, read from process.env on first use and kept for the container's life. */
export function ingestConfig(): IngestSettings {
  cached ??= readIngestSettings(process.env);
  return cached;
}
