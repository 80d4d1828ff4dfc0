import * as fs from 'fs';
import * as path from 'path';
import { CONTROL_TOWER_EXCEPTIONS, exceptionFor } from './control-tower-exceptions';
import { GuardViolation, guardViolations, VARIANTS } from './control-tower-support';

jest.setTimeout(300_000);

/** Resources the test itself creates for the library to use: not the library's. */
const GIVEN = /^Given/;

describe('Control Tower proactive controls (cfn-guard)', () => {
  const found: Record<string, GuardViolation[]> = {};

  beforeAll(() => {
    for (const [variant, build] of Object.entries(VARIANTS)) {
      found[variant] = guardViolations(build).filter((violation) => !GIVEN.test(violation.path));
    }
  });

  test.each(Object.keys(VARIANTS))('%s: every violation on a resource of the library is a documented exception', (variant) => {
    const unexplained = found[variant]
      .filter((violation) => !exceptionFor(violation, variant))
      .map((violation) => `${violation.control} ${violation.path}`);
    expect(unexplained).toEqual([]);
  });

  test('every exception still matches a violation in some variant', () => {
    const unused = CONTROL_TOWER_EXCEPTIONS.filter((exception) => !Object.entries(found)
      .some(([variant, violations]) => violations.some((violation) => exceptionFor(violation, variant) === exception)));
    expect(unused.map((exception) => exception.control)).toEqual([]);
  });
});

describe('README "Governed accounts"', () => {
  const readme = fs.readFileSync(path.join(__dirname, '../../../README.md'), 'utf8');
  const section = readme.split(/^## /m).find((part) => part.startsWith('Governed accounts')) ?? '';
  const rows = section.split('\n').filter((line) => /^\| `?CT\./.test(line));

  test('lists exactly the exceptions, each with its resources', () => {
    expect(rows.map((row) => row.split('|')[1].trim().replace(/`/g, ''))).toEqual(CONTROL_TOWER_EXCEPTIONS.map((exception) => exception.control));
    CONTROL_TOWER_EXCEPTIONS.forEach((exception, index) => {
      expect(rows[index]).toContain(exception.resourcesInReadme);
    });
  });
});
