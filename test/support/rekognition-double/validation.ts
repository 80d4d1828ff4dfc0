import { AwsErrorReply } from '../json-protocol-double';

// Request constraints of the API reference (StartMediaAnalysisJob, GetMediaAnalysisJob,
// ListMediaAnalysisJobs, DetectModerationLabels). Lengths count characters, as the API does.

const TOKEN = /^[a-zA-Z0-9-_]+$/;
const JOB_NAME = /^[a-zA-Z0-9_.\-]+$/;
const JOB_ID = /^[a-zA-Z0-9-_]+$/;
const BUCKET = /^[0-9A-Za-z.\-_]*$/;
const KEY_PREFIX = /^\S*$/;
const KMS_KEY = /^[A-Za-z0-9][A-Za-z0-9:_/+=,@.-]{0,2048}$/;

export class InvalidParameter extends AwsErrorReply {
  constructor(message: string) {
    super('InvalidParameterException', message, 400);
  }
}

/** Throws InvalidParameterException naming the first field outside the API's constraints. */
export function validateStartRequest(body: any): void {
  optionalString('ClientRequestToken', body.ClientRequestToken, 1, 64, TOKEN);
  optionalString('JobName', body.JobName, 1, 64, JOB_NAME);
  const operations = requiredObject('OperationsConfig', body.OperationsConfig);
  const moderation = operations.DetectModerationLabels;
  if (moderation !== undefined) {
    requiredObject('OperationsConfig.DetectModerationLabels', moderation);
    minConfidence('OperationsConfig.DetectModerationLabels.MinConfidence', moderation.MinConfidence);
    optionalString('OperationsConfig.DetectModerationLabels.ProjectVersion', moderation.ProjectVersion, 20, 2048);
  }
  const input = requiredObject('Input', body.Input);
  s3Object('Input.S3Object', requiredObject('Input.S3Object', input.S3Object));
  const output = requiredObject('OutputConfig', body.OutputConfig);
  requiredString('OutputConfig.S3Bucket', output.S3Bucket, 3, 255, BUCKET);
  optionalString('OutputConfig.S3KeyPrefix', output.S3KeyPrefix, 0, 800, KEY_PREFIX);
  optionalString('KmsKeyId', body.KmsKeyId, 1, 2048, KMS_KEY);
}

export function validateGetRequest(body: any): void {
  requiredString('JobId', body.JobId, 1, 64, JOB_ID);
}

export function validateListRequest(body: any): void {
  if (body.MaxResults !== undefined && !(Number.isInteger(body.MaxResults) && body.MaxResults >= 1 && body.MaxResults <= 100)) {
    throw new InvalidParameter(`MaxResults must be an integer from 1 to 100 (given ${JSON.stringify(body.MaxResults)})`);
  }
  optionalString('NextToken', body.NextToken, 0, 1024);
}

export function validateDetectRequest(body: any): void {
  const image = requiredObject('Image', body.Image);
  const hasBytes = image.Bytes !== undefined;
  const hasObject = image.S3Object !== undefined;
  if (hasBytes === hasObject) {
    throw new InvalidParameter('Image must have exactly one of Bytes and S3Object');
  }
  if (hasObject) s3Object('Image.S3Object', requiredObject('Image.S3Object', image.S3Object));
  if (hasBytes && (typeof image.Bytes !== 'string' || image.Bytes.length === 0)) {
    throw new InvalidParameter('Image.Bytes must be base64-encoded image bytes');
  }
  minConfidence('MinConfidence', body.MinConfidence);
  optionalString('ProjectVersion', body.ProjectVersion, 20, 2048);
  if (body.HumanLoopConfig !== undefined) {
    const loop = requiredObject('HumanLoopConfig', body.HumanLoopConfig);
    requiredString('HumanLoopConfig.HumanLoopName', loop.HumanLoopName, 1, 63);
    requiredString('HumanLoopConfig.FlowDefinitionArn', loop.FlowDefinitionArn, 1, 256);
  }
}

function s3Object(field: string, object: any): void {
  requiredString(`${field}.Bucket`, object.Bucket, 3, 255, BUCKET);
  requiredString(`${field}.Name`, object.Name, 1, 1024);
  optionalString(`${field}.Version`, object.Version, 1, 1024);
}

function minConfidence(field: string, value: unknown): void {
  if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 100)) {
    throw new InvalidParameter(`${field} must be a number from 0 to 100 (given ${JSON.stringify(value)})`);
  }
}

function requiredObject(field: string, value: unknown): any {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidParameter(`${field} is required`);
  }
  return value;
}

function requiredString(field: string, value: unknown, min: number, max: number, pattern?: RegExp): void {
  if (value === undefined) throw new InvalidParameter(`${field} is required`);
  optionalString(field, value, min, max, pattern);
}

function optionalString(field: string, value: unknown, min: number, max: number, pattern?: RegExp): void {
  if (value === undefined) return;
  if (typeof value !== 'string') throw new InvalidParameter(`${field} must be a string`);
  const length = [...value].length;
  if (length < min || length > max) {
    throw new InvalidParameter(`${field} must be ${min}-${max} characters (given ${length})`);
  }
  if (pattern && !pattern.test(value)) {
    throw new InvalidParameter(`${field} must match ${pattern.source} (given ${JSON.stringify(value.slice(0, 80))})`);
  }
}
