/**
 * The dependency rules `npm test` enforces (npm run check:deps):
 * no import cycles, handlers take nothing from lib/ but contracts, and contracts stay free of
 * aws-cdk-lib so the handler bundles stay small.
 */
const CONTRACT = '^lib/common/contract/|-contract[.]ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle: split the shared part into a module both sides import.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'handlers-import-only-contracts-from-lib',
      severity: 'error',
      comment: 'A handler may import from lib/ only contracts (lib/common/contract/, lib/<stage>/*-contract.ts), which carry no CDK code.',
      from: { path: '^lambda/' },
      to: { path: '^lib/', pathNot: CONTRACT },
    },
    {
      name: 'contracts-free-of-cdk',
      severity: 'error',
      comment: 'Contract modules are bundled into handlers: no aws-cdk-lib, constructs or construct code.',
      from: { path: CONTRACT },
      to: { path: '^lib/|(^|/)node_modules/(aws-cdk-lib|constructs)/', pathNot: CONTRACT },
    },
    {
      name: 'constructs-do-not-import-handlers',
      severity: 'error',
      comment: 'lib/ is compiled on its own into dist/: it may not reach into lambda/.',
      from: { path: '^lib/' },
      to: { path: '^lambda/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(node_modules|cdk\\.out|dist|assets)/' },
  },
};
