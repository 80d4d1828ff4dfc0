import { BackfillMetrics, type BackfillProgress } from '../../lib/backfill/backfill-contract';
import { logOutput } from '../common/log';

/**
 * One CloudWatch embedded-metric-format line per batch: CloudWatch Logs turns it into the
 * backfill's metrics, with no PutMetricData call (and no permission for it).
 */
export function emitProgressMetrics(backfillName: string, progress: BackfillProgress, now: Date = new Date()): string {
  const line = JSON.stringify({
    _aws: {
      Timestamp: now.getTime(),
      CloudWatchMetrics: [{
        Namespace: BackfillMetrics.NAMESPACE,
        Dimensions: [[BackfillMetrics.DIMENSION]],
        Metrics: [
          { Name: BackfillMetrics.OBJECTS_LISTED, Unit: 'Count' },
          { Name: BackfillMetrics.MANIFESTS_WRITTEN, Unit: 'Count' },
          { Name: BackfillMetrics.IMAGES_SKIPPED, Unit: 'Count' },
          { Name: BackfillMetrics.IMAGES_QUEUED, Unit: 'Count' },
        ],
      }],
    },
    [BackfillMetrics.DIMENSION]: backfillName,
    [BackfillMetrics.OBJECTS_LISTED]: progress.objectsListed,
    [BackfillMetrics.MANIFESTS_WRITTEN]: progress.manifestsWritten,
    [BackfillMetrics.IMAGES_SKIPPED]: progress.imagesSkipped,
    [BackfillMetrics.IMAGES_QUEUED]: progress.imagesQueued,
  });
  logOutput.log(line);
  return line;
}
