// aws-cdk-lib validates every synthesized template with its built-in CloudFormation rules, a
// WebAssembly engine that jest starts again in every test file (module registries are per file):
// that was most of the synth time of the suite. In tests it only prints its findings as warnings,
// so it asserted nothing. The suite turns it off (in each test file's sandboxed process.env);
// test/lib/governance/template-validation.test.ts runs it on every variant and fails on any finding,
// and the packed-library test's consumer apps synthesize with it on, as users' apps do.
process.env.CDK_VALIDATION = 'false';
