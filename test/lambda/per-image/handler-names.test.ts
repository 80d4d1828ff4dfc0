import { PerImageHandler } from '../../../lib/per-image/per-image-contract';

// The construct creates each function with the contract's export name: each handler must export it.
test.each([
  ['prepare', PerImageHandler.PREPARE, () => import('../../../lambda/per-image/prepare')],
  ['batch', PerImageHandler.BATCH, () => import('../../../lambda/per-image/batch')],
  ['finalize', PerImageHandler.FINALIZE, () => import('../../../lambda/per-image/finalize')],
])('the %s handler exports the function the contract names', async (_name, handler, load) => {
  process.env.CALLS_PER_SECOND = '5';
  try {
    const module: Record<string, unknown> = await load();
    expect(typeof module[handler.exportName]).toBe('function');
    expect(handler.asset).toBe(`per-image-${_name}`);
  } finally {
    delete process.env.CALLS_PER_SECOND;
  }
});
