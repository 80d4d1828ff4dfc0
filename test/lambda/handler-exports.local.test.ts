import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { IS_COMPLETE_HANDLER, ON_EVENT_HANDLER } from '../../lib/job/moderation-job-contract';
import { TRIGGER_HANDLER } from '../../lib/trigger/trigger-contract';
import { handlerBundle } from '../support/bundled-handler';

/** The names of the functions a bundle exports, loaded as Lambda loads it (ESM, a fresh node). */
function exportedFunctions(asset: string): string[] {
  const list = 'const m = await import(process.argv[1]); console.log(JSON.stringify(Object.keys(m).filter((k) => typeof m[k] === "function")));';
  const output = execFileSync(process.execPath, ['--no-warnings', '--input-type=module', '-e', list, pathToFileURL(handlerBundle(asset)).href], {
    env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1' },
  });
  return JSON.parse(output.toString().trim().split('\n').pop()!);
}

// The constructs name these exports from the contracts; the bundles must provide them.
test('the trigger bundle exports the handler the trigger contract names', () => {
  expect(exportedFunctions('trigger')).toContain(TRIGGER_HANDLER);
});

test('the job bundle exports the onEvent and isComplete handlers the ModerationJob contract names', () => {
  expect(exportedFunctions('job')).toEqual(expect.arrayContaining([ON_EVENT_HANDLER, IS_COMPLETE_HANDLER]));
});
