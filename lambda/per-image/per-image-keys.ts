/**
 * Where the per-image engine keeps its files, all under the manifest's own folder (the prefix the
 * trigger derives for both engines), so grantReadResults and lifecycle rules cover them alike.
 */
export const PER_IMAGE_FOLDER = 'per-image';

export interface PerImageKeys {
  /** The manifest's valid lines, normalised (ImageItem per line): the first round's items. */
  items: string;
  /** The manifest's invalid lines (InvalidLine per line), in line order. */
  invalid: string;
  /** Lines a later round retries. */
  retryItems(round: number): string;
  /** Prefix the Distributed Map's ResultWriter writes under (one folder per Map Run below it). */
  mapResults: string;
  /** A batch's results, when too large to return through Step Functions. */
  spilledBatch(round: number, firstLine: number): string;
  /** The output manifest in the bulk format. */
  results: string;
  /** The manifest summary in the bulk format. */
  summary: string;
}

export function perImageKeys(manifestPrefix: string): PerImageKeys {
  const folder = `${manifestPrefix.replace(/\/+$/, '')}/${PER_IMAGE_FOLDER}`.replace(/^\//, '');
  return {
    items: `${folder}/items.jsonl`,
    invalid: `${folder}/invalid-lines.jsonl`,
    retryItems: (round) => `${folder}/retry-${round}.jsonl`,
    mapResults: `${folder}/map-results`,
    spilledBatch: (round, firstLine) => `${folder}/batches/round-${round}/line-${firstLine}.jsonl`,
    results: `${folder}/results/output.jsonl`,
    summary: `${folder}/results/manifest-summary.json`,
  };
}
