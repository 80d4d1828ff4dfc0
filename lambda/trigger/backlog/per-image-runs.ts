import { MAX_CONCURRENT_PER_IMAGE_RUNS } from '../../../lib/trigger/backlog-contract';
import { errorCode } from '../../common/errors';
import { lazySfn } from '../../common/lazy-clients';
import { log } from '../../common/log';

/**
 * Whether the per-image workflow already runs as many manifests as share its rate: one
 * ListExecutions call. Unknown (the call failed) counts as not full, so nothing stalls.
 */
export async function perImageRunsFull(stateMachineArn: string): Promise<boolean> {
  try {
    const { sdk, client } = await lazySfn();
    const { executions = [] } = await client.send(new sdk.ListExecutionsCommand({
      stateMachineArn,
      statusFilter: 'RUNNING',
      maxResults: MAX_CONCURRENT_PER_IMAGE_RUNS,
    }));
    return executions.length >= MAX_CONCURRENT_PER_IMAGE_RUNS;
  } catch (error) {
    log('WARN', 'per-image runs not counted', { errorCode: errorCode(error), error: String(error) });
    return false;
  }
}
