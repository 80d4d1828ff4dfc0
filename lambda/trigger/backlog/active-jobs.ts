import { ListMediaAnalysisJobsCommand, type RekognitionClient } from '@aws-sdk/client-rekognition';
import { ACTIVE_JOBS_PAGE_SIZE } from '../../../lib/trigger/backlog-contract';
import { errorCode } from '../../common/errors';
import { log } from '../../common/log';

const RUNNING = new Set(['CREATED', 'QUEUED', 'IN_PROGRESS']);

/**
 * Jobs holding a concurrent-job slot in the account (this pipeline's and every other caller's),
 * counted among the newest ACTIVE_JOBS_PAGE_SIZE: one ListMediaAnalysisJobs call. Undefined when
 * the call fails; the backlog then tries one start.
 */
export async function countActiveJobs(rekognition: RekognitionClient): Promise<number | undefined> {
  try {
    const page = await rekognition.send(new ListMediaAnalysisJobsCommand({ MaxResults: ACTIVE_JOBS_PAGE_SIZE }));
    return (page.MediaAnalysisJobs ?? []).filter((job) => RUNNING.has(job.Status ?? '')).length;
  } catch (error) {
    log('WARN', 'running jobs not counted', { errorCode: errorCode(error), error: String(error) });
    return undefined;
  }
}
