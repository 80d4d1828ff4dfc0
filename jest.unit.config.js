/**
 * `npm run test:unit`: the constructs and the handlers' own code, without the tests that start
 * local servers or run the bundled handlers (*.local.test.ts), the Control Tower check (it runs
 * the cfn-guard engine over five synthesized variants), the end-to-end runs, the packed package
 * and the README examples. `npm test` runs everything.
 *
 * aws-cdk-lib's built-in template validation is off here except in the test that runs it on purpose
 * (test/support/no-template-validation.js says why).
 */
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ['<rootDir>/test/lib', '<rootDir>/test/lambda', '<rootDir>/test/bin'],
  testPathIgnorePatterns: ['/node_modules/', '\\.local\\.test\\.ts$', '/test/lib/governance/control-tower\\.test\\.ts$'],
};
