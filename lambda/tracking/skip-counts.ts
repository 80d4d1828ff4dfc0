import { countsSkipsOf, skipReportOf } from '../../lib/common/contract/batch-files';
import { type S3Location, s3Uri } from '../../lib/common/contract/s3-location';
import type { SkipCounts } from '../../lib/events/completion-event-contract';
import { isObjectGone, MalformedOutputError, readSmallObject } from '../common/job-results';
import { logger } from '../common/log';
import { s3 } from './s3-client';

/** A batch's skips are at most one per object event or listed object (10,000), each under 1.5 KB: anything far larger is not a skip report. */
export const MAX_SKIP_REPORT_BYTES = 32 * 1024 * 1024;

const NOTHING_SKIPPED: SkipCounts = { total: 0, byReason: {}, report: null };

/**
 * The skips of the manifest's batch, for `detail.skipped`: undefined for a manifest no batcher or
 * backfill wrote (and when the report is malformed, with a WARN); zeros when the report does not
 * exist (nothing skipped) or belongs to the batch's first manifest. Other S3 errors propagate, for
 * the workflow's retry.
 */
export async function readSkipCounts(manifest: S3Location, manifestPrefix: string | undefined): Promise<SkipCounts | undefined> {
  const report = manifestPrefix === undefined ? undefined : skipReportOf(manifest, manifestPrefix);
  if (!report) return undefined;
  let text: string;
  try {
    text = await readSmallObject(s3, report, MAX_SKIP_REPORT_BYTES, 'skip report');
  } catch (error) {
    if (isObjectGone(error)) return NOTHING_SKIPPED;
    if (error instanceof MalformedOutputError) return malformed(report, error.message);
    throw error;
  }
  let parsed: ParsedReport;
  try {
    parsed = parseSkipReport(text);
  } catch (error) {
    return malformed(report, (error as Error).message);
  }
  if (!countsSkipsOf(manifest, parsed.manifests)) return NOTHING_SKIPPED;
  const byReason: Record<string, number> = {};
  for (const reason of parsed.reasons) byReason[reason] = (byReason[reason] ?? 0) + 1;
  return { total: parsed.reasons.length, byReason, report: s3Uri(report) };
}

interface ParsedReport {
  readonly manifests: string[];
  readonly reasons: string[];
}

/** The parts of a SkipReport (lib/ingest/ingest-contract.ts) that are counted; throws on another shape. */
export function parseSkipReport(text: string): ParsedReport {
  const document: unknown = JSON.parse(text);
  const record = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!record(document) || !Array.isArray(document.manifests) || !Array.isArray(document.skipped)) {
    throw new Error('not a skip report: manifests and skipped must be lists');
  }
  const reasons = document.skipped.map((entry: unknown) => (record(entry) && typeof entry.reason === 'string' ? entry.reason : 'unknown'));
  return { manifests: document.manifests.filter((uri): uri is string => typeof uri === 'string'), reasons };
}

function malformed(report: S3Location, reason: string): undefined {
  logger.warn('Skip report is malformed; the event reports no skips', { ...report, reason });
  return undefined;
}
