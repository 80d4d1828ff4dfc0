// This repository's snapshots use the serializer the library ships as `cdk-bulk-moderation/testing`.
module.exports = require('../../lib/testing/asset-hash-serializer');
