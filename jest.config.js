/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.tsx?$': ['@swc/jest'] },
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  // aws-cdk-lib's built-in template validation is off in every test file but the one that asserts it
  // finds nothing (test/lib/governance/template-validation.test.ts): see the setup file.
  setupFiles: ['<rootDir>/test/support/no-template-validation.js'],
  snapshotSerializers: ['<rootDir>/test/support/asset-hash-serializer.js'],
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  testTimeout: 60_000,
  // Both cores: with aws-cdk-lib's template validation off, test files no longer compete for memory
  // bandwidth enough to cost more than the second worker gains (measured in the README).
  maxWorkers: 2,
};
