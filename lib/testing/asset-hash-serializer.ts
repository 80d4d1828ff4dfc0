/**
 * Jest snapshot serializer that keeps snapshots of synthesized templates stable across upgrades of
 * this library and of aws-cdk-lib: a snapshot should change only when the infrastructure changes.
 *
 * - Asset hashes (64 hex digits: S3Key '<hash>.zip', asset parameters, image tags, ...) become
 *   '<asset-hash>' wherever they appear in a string. This library's handlers are pre-bundled assets
 *   whose hash changes with every release, and so are aws-cdk-lib's provider functions it uses.
 * - Inline Lambda code (`Code.ZipFile`) is the source of aws-cdk-lib's own provider functions
 *   (e.g. the bucket-notifications handler) and changes with every aws-cdk-lib release: it
 *   becomes '<inline-code (aws-cdk-lib version dependent)>'.
 *
 * The module itself has jest's serializer shape ({ test, serialize }), so
 * `snapshotSerializers: ['cdk-bulk-moderation/testing']` works as is.
 */
const ASSET_HASH = /[0-9a-f]{64}/g;

/** What an asset hash becomes in a snapshot. */
export const ASSET_HASH_PLACEHOLDER = '<asset-hash>';

/** What inline Lambda code (`Code.ZipFile`) becomes in a snapshot. */
export const INLINE_CODE_PLACEHOLDER = '<inline-code (aws-cdk-lib version dependent)>';

/** The printer jest passes to a serializer: prints a value with the other serializers. */
type Printer = (value: unknown, config: unknown, indentation: string, depth: number, refs: unknown) => string;

function hasAssetHash(value: string): boolean {
  ASSET_HASH.lastIndex = 0;
  return ASSET_HASH.test(value);
}

function isInlineLambdaCode(value: unknown): value is { ZipFile: string } {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    && typeof (value as { ZipFile?: unknown }).ZipFile === 'string'
    && (value as { ZipFile: string }).ZipFile !== INLINE_CODE_PLACEHOLDER;
}

/** Whether the serializer rewrites this value (jest calls it for every value it prints). */
export function test(value: unknown): boolean {
  return (typeof value === 'string' && hasAssetHash(value)) || isInlineLambdaCode(value);
}

/** Prints the value with asset hashes and inline code replaced by placeholders. */
export function serialize(value: unknown, config: unknown, indentation: string, depth: number, refs: unknown, printer: Printer): string {
  const normalised = typeof value === 'string'
    ? value.replace(ASSET_HASH, ASSET_HASH_PLACEHOLDER)
    : { ...(value as object), ZipFile: INLINE_CODE_PLACEHOLDER };
  return printer(normalised, config, indentation, depth, refs);
}

/** The serializer as one object, for `expect.addSnapshotSerializer(assetHashSerializer)`. */
export const assetHashSerializer = { test, serialize };
