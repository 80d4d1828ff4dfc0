// Cost model of moderating one manifest with each engine. Prices: AWS list prices for us-east-1
// as last published (recalled, not verified offline: check the pricing pages before relying on
// them). Only the first volume tier is used.
export const PRICES = {
  source: 'AWS list prices, us-east-1, first tier, as last published (2025); not verified offline - check before relying on them',
  // Amazon Rekognition Image: DetectModerationLabels, first 1M images a month. Bulk analysis is
  // assumed to bill the same per image as the API it runs.
  rekognitionPerImage: 0.001,
  // AWS Step Functions
  standardPerTransition: 0.025 / 1000,
  expressPerRequest: 1.0 / 1_000_000,
  expressPerGbSecond: 0.00001667,
  expressMemoryGb: 64 / 1024, // billed in 64 MB steps; a small workflow uses the first
  // AWS Lambda, arm64
  lambdaPerGbSecond: 0.0000133334,
  lambdaPerRequest: 0.2 / 1_000_000,
  // Amazon S3 Standard requests
  s3PerPut: 0.005 / 1000,
  s3PerGet: 0.0004 / 1000,
  // AWS KMS requests: an SSE-KMS image read without S3 Bucket Keys is one Decrypt (the pipeline's
  // own buckets have Bucket Keys on, which makes these negligible; images in other buckets may not)
  kmsPerRequest: 0.03 / 10_000,
  // Amazon CloudWatch Logs ingestion (Step Functions logging ALL with execution data)
  logsPerGb: 0.5,
};

/**
 * Per-image engine, for `images` valid lines. The batch function is paced, so its duration is the
 * batch's images divided by the child's rate; Express children last as long as their batch.
 */
export function perImageCost({ images = 10_000, imagesPerSecond = 5, itemsPerBatch = 50, perChildRate = Math.min(5, imagesPerSecond), batchMemoryGb = 0.25, childType = 'EXPRESS', bucketKeys = true, prices = PRICES } = {}) {
  const batches = Math.ceil(images / itemsPerBatch);
  const batchSeconds = itemsPerBatch / perChildRate;
  // Parent: Prepare, ManifestAccepted?, FirstRound, the Map, Finalize, AllLinesDone?,
  // UseJobDescription, TrackCompletion, PublishCompletion, EventAccepted?, Reported.
  const parentTransitions = 11;
  // Counted conservatively: one parent transition per child started by the Map.
  const mapTransitions = batches;
  // A Standard child: AnalyseBatch entered and exited (2 transitions) per batch.
  const children = childType === 'EXPRESS'
    ? batches * (prices.expressPerRequest + Math.ceil(batchSeconds * 10) / 10 * prices.expressMemoryGb * prices.expressPerGbSecond)
    : batches * 2 * prices.standardPerTransition;
  const otherLambdaGbSeconds = 2 * 0.5 /* prepare */ + 3 * 1 /* finalize */ + 2 * 0.5 /* tracker */;
  // Step Functions log events of each child with data: its input (~150 B per item) and output (~300 B per item), each in ~3 events.
  const logGb = (batches * itemsPerBatch * (150 + 300) * 3) / 1024 ** 3;
  const lines = {
    rekognition: images * prices.rekognitionPerImage,
    stepFunctions: (parentTransitions + mapTransitions) * prices.standardPerTransition + children,
    lambda: (batches * batchSeconds * batchMemoryGb + otherLambdaGbSeconds) * prices.lambdaPerGbSecond + (batches + 3) * prices.lambdaPerRequest,
    // GET: every image (read by Rekognition), the manifest, items, Map results, outputs read by the tracker.
    // PUT: items, invalid lines, Map results (manifest.json + 2 files), output, summary, flagged list.
    s3Requests: (images + 8) * prices.s3PerGet + 8 * prices.s3PerPut,
    kms: (bucketKeys ? 16 : images + 16) * prices.kmsPerRequest,
    logs: logGb * prices.logsPerGb,
  };
  return { engine: `per-image (${childType} children)`, batches, minutes: images / imagesPerSecond / 60, ...lines, total: sum(lines) };
}

/** Bulk engine: one job, tracked by polling every `pollMinutes` for `jobMinutes`. */
export function bulkCost({ images = 10_000, jobMinutes = 60, pollMinutes = 5, bucketKeys = true, prices = PRICES } = {}) {
  const polls = Math.ceil(jobMinutes / pollMinutes) + 1;
  // Each poll: CheckJob, Finished?, WaitForJob; then PublishCompletion, EventAccepted?, Reported.
  const transitions = polls * 3 + 3;
  const lines = {
    rekognition: images * prices.rekognitionPerImage,
    stepFunctions: transitions * prices.standardPerTransition,
    lambda: (polls * 0.2 * 0.5 + 2 * 0.5 + 0.5 * 0.25 /* trigger */) * prices.lambdaPerGbSecond + (polls + 1) * prices.lambdaPerRequest,
    // GET: every image and the manifest (Rekognition), results and summary (tracker); PUT: results, summary, flagged list.
    s3Requests: (images + 3) * prices.s3PerGet + 3 * prices.s3PerPut,
    kms: (bucketKeys ? 6 : images + 6) * prices.kmsPerRequest,
    logs: (transitions * 2 * 2048) / 1024 ** 3 * prices.logsPerGb,
  };
  return { engine: 'bulk (StartMediaAnalysisJob)', batches: 0, minutes: null, ...lines, total: sum(lines) };
}

function sum(lines) {
  return Object.values(lines).reduce((total, value) => total + value, 0);
}
