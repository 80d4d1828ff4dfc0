/**
 * One structural schema for what both engines write: the output manifest (JSON Lines) and the
 * manifest summary, as FACTS.md documents bulk analysis's formats. Used on the bulk engine's
 * output (the Rekognition double's) and the per-image engine's alike, so the two cannot drift.
 */

export interface BulkOutputs {
  /** The output manifest's lines (text). */
  readonly lines: string[];
  /** The summary, parsed. */
  readonly summary: unknown;
}

/** Problems of one output line; empty when it conforms. */
export function outputLineProblems(text: string): string[] {
  let line: unknown;
  try {
    line = JSON.parse(text);
  } catch {
    return ['not JSON'];
  }
  if (!isRecord(line)) return ['not a JSON object'];
  const problems: string[] = [];
  const allowed = new Set(['source-ref', 'detect-moderation-labels']);
  for (const key of Object.keys(line)) if (!allowed.has(key)) problems.push(`unexpected field ${key}`);
  // Bulk analysis echoes the manifest's source-ref, even one that is not a usable s3:// URI.
  if ('source-ref' in line && typeof line['source-ref'] !== 'string') {
    problems.push('source-ref is not a string');
  }
  const analysis = line['detect-moderation-labels'];
  if (analysis === undefined) return problems;
  if (!('source-ref' in line)) problems.push('detect-moderation-labels without source-ref');
  if (!isRecord(analysis)) return [...problems, 'detect-moderation-labels is not an object'];
  for (const key of Object.keys(analysis)) {
    if (!['ModerationLabels', 'ModerationModelVersion', 'ContentTypes', 'ProjectVersion'].includes(key)) problems.push(`detect-moderation-labels has unexpected field ${key}`);
  }
  if (!Array.isArray(analysis.ModerationLabels)) {
    problems.push('ModerationLabels is not a list');
  } else {
    analysis.ModerationLabels.forEach((label, i) => problems.push(...labelProblems(label).map((p) => `ModerationLabels[${i}] ${p}`)));
  }
  if (typeof analysis.ModerationModelVersion !== 'string' || analysis.ModerationModelVersion === '') problems.push('ModerationModelVersion is not a non-empty string');
  if (!Array.isArray(analysis.ContentTypes)) {
    problems.push('ContentTypes is not a list');
  } else {
    analysis.ContentTypes.forEach((type, i) => {
      if (!isRecord(type) || typeof type.Name !== 'string' || !isConfidence(type.Confidence)) problems.push(`ContentTypes[${i}] is not {Name, Confidence}`);
    });
  }
  return problems;
}

function labelProblems(label: unknown): string[] {
  if (!isRecord(label)) return ['is not an object'];
  const problems: string[] = [];
  if (typeof label.Name !== 'string' || label.Name === '') problems.push('Name is not a non-empty string');
  if (typeof label.ParentName !== 'string') problems.push('ParentName is not a string');
  if (!isConfidence(label.Confidence)) problems.push('Confidence is not 0-100');
  if (label.TaxonomyLevel !== undefined && (!Number.isInteger(label.TaxonomyLevel) || (label.TaxonomyLevel as number) < 1 || (label.TaxonomyLevel as number) > 3)) {
    problems.push('TaxonomyLevel is not 1-3');
  }
  if (label.ParentName === '' && label.TaxonomyLevel !== undefined && label.TaxonomyLevel !== 1) problems.push('a top-level label is not TaxonomyLevel 1');
  return problems;
}

/** Problems of a manifest summary; empty when it conforms. */
export function summaryProblems(summary: unknown): string[] {
  if (!isRecord(summary)) return ['not a JSON object'];
  const problems: string[] = [];
  if (summary.version !== '1.0') problems.push('version is not "1.0"');
  const statistics = summary.statistics;
  if (!isRecord(statistics)) {
    problems.push('statistics is not an object');
  } else {
    for (const key of ['total-json-lines', 'valid-json-lines', 'invalid-json-lines']) {
      if (!isCount(statistics[key])) problems.push(`statistics.${key} is not a count`);
    }
    if (isCount(statistics['total-json-lines']) && statistics['total-json-lines'] !== (statistics['valid-json-lines'] as number) + (statistics['invalid-json-lines'] as number)) {
      problems.push('total-json-lines is not valid + invalid');
    }
  }
  if (!Array.isArray(summary.errors)) return [...problems, 'errors is not a list'];
  summary.errors.forEach((error, i) => {
    if (!isRecord(error)) return problems.push(`errors[${i}] is not an object`);
    const lineNumber = error['line-numer'] ?? error['line-number'];
    if (!Number.isInteger(lineNumber) || (lineNumber as number) < 1) problems.push(`errors[${i}] line-numer is not a line number`);
    if (error['source-ref'] !== undefined && typeof error['source-ref'] !== 'string') problems.push(`errors[${i}] source-ref is not a string`);
    if (typeof error.code !== 'string' || error.code === '') problems.push(`errors[${i}] code is not a non-empty string`);
    if (typeof error.message !== 'string') problems.push(`errors[${i}] message is not a string`);
    return undefined;
  });
  return problems;
}

/**
 * Problems of a pair: each line and the summary on their own, then together: an image line
 * without detect-moderation-labels must have an error in the summary for its source-ref.
 */
export function bulkOutputProblems(outputs: BulkOutputs): string[] {
  const problems = outputs.lines.flatMap((text, i) => outputLineProblems(text).map((p) => `line ${i + 1}: ${p}`));
  problems.push(...summaryProblems(outputs.summary).map((p) => `summary: ${p}`));
  if (problems.length > 0) return problems;
  const erroredRefs = new Set((outputs.summary as { errors: Array<Record<string, unknown>> }).errors.map((error) => error['source-ref']));
  outputs.lines.forEach((text, i) => {
    const line = JSON.parse(text);
    if ('source-ref' in line && !('detect-moderation-labels' in line) && !erroredRefs.has(line['source-ref'])) {
      problems.push(`line ${i + 1}: ${line['source-ref']} was not analysed and the summary has no error for it`);
    }
  });
  return problems;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): boolean {
  return Number.isInteger(value) && (value as number) >= 0;
}

function isConfidence(value: unknown): boolean {
  return typeof value === 'number' && value >= 0 && value <= 100;
}
