// `cdk-bulk-moderation/testing`: helpers for users' own tests of stacks that use this library.
export * from './asset-hash-serializer';
