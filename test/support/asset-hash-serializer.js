/**
 * Jest snapshot serializer (registered in jest.config.js) that keeps snapshots of synthesized
 * templates stable across handler rebuilds and aws-cdk-lib upgrades: a snapshot should change
 * only when the infrastructure changes.
 *
 * - Asset hashes (64 hex digits: S3Key '<hash>.zip', asset parameters, DockerImage tags, ...)
 *   become '<asset-hash>' wherever they appear in a string.
 * - Inline Lambda code (`Code.ZipFile`) is the source of aws-cdk-lib's own provider functions
 *   (e.g. the bucket-notifications handler) and changes with every aws-cdk-lib release: it
 *   becomes '<inline-code (aws-cdk-lib version dependent)>'.
 */
const ASSET_HASH = /[0-9a-f]{64}/g;
const ASSET_HASH_PLACEHOLDER = '<asset-hash>';
const INLINE_CODE_PLACEHOLDER = '<inline-code (aws-cdk-lib version dependent)>';

function hasAssetHash(value) {
  ASSET_HASH.lastIndex = 0;
  return ASSET_HASH.test(value);
}

function isInlineLambdaCode(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    && typeof value.ZipFile === 'string' && value.ZipFile !== INLINE_CODE_PLACEHOLDER;
}

module.exports = {
  test(value) {
    return (typeof value === 'string' && hasAssetHash(value)) || isInlineLambdaCode(value);
  },
  serialize(value, config, indentation, depth, refs, printer) {
    const normalised = typeof value === 'string'
      ? value.replace(ASSET_HASH, ASSET_HASH_PLACEHOLDER)
      : { ...value, ZipFile: INLINE_CODE_PLACEHOLDER };
    return printer(normalised, config, indentation, depth, refs);
  },
};
