import { AwsErrorReply } from '../json-protocol-double';
import { describeJob, DoubleJob } from './jobs';

const DEFAULT_MAX_RESULTS = 20;

/** ListMediaAnalysisJobs: newest first, paged by an opaque offset token. */
export function listJobs(body: any, jobs: readonly DoubleJob[], now: number): unknown {
  let offset = 0;
  if (body.NextToken !== undefined) {
    const decoded = Number(Buffer.from(body.NextToken, 'base64url').toString('utf8').replace(/^offset:/, ''));
    if (!body.NextToken || !Number.isInteger(decoded) || decoded < 0 || decoded > jobs.length) {
      throw new AwsErrorReply('InvalidPaginationTokenException', 'Invalid pagination token', 400);
    }
    offset = decoded;
  }
  const max = body.MaxResults ?? DEFAULT_MAX_RESULTS;
  const newestFirst = jobs.map((job, index) => ({ job, index }))
    .sort((a, b) => b.job.createdAt - a.job.createdAt || b.index - a.index)
    .map(({ job }) => job);
  const page = newestFirst.slice(offset, offset + max);
  const next = offset + page.length;
  return {
    MediaAnalysisJobs: page.map((job) => describeJob(job, now)),
    ...(next < newestFirst.length && { NextToken: Buffer.from(`offset:${next}`).toString('base64url') }),
  };
}
