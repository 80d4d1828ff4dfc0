/** The operations the double serves and the exceptions each may answer with (API reference). */
export const OPERATIONS = ['StartMediaAnalysisJob', 'GetMediaAnalysisJob', 'ListMediaAnalysisJobs', 'DetectModerationLabels'] as const;
export type Operation = typeof OPERATIONS[number];

export const TARGET_PREFIX = 'RekognitionService.';

const COMMON = ['AccessDeniedException', 'InternalServerError', 'InvalidParameterException', 'ProvisionedThroughputExceededException', 'ThrottlingException'];

export const OPERATION_EXCEPTIONS: Record<Operation, readonly string[]> = {
  StartMediaAnalysisJob: [...COMMON, 'IdempotentParameterMismatchException', 'InvalidManifestException', 'InvalidS3ObjectException',
    'LimitExceededException', 'ResourceNotFoundException', 'ResourceNotReadyException'],
  GetMediaAnalysisJob: [...COMMON, 'ResourceNotFoundException'],
  ListMediaAnalysisJobs: [...COMMON, 'InvalidPaginationTokenException'],
  DetectModerationLabels: [...COMMON, 'HumanLoopQuotaExceededException', 'ImageTooLargeException', 'InvalidImageFormatException',
    'InvalidS3ObjectException', 'ResourceNotFoundException', 'ResourceNotReadyException'],
};

/** Server faults in the service model (HTTP 5xx); every other exception is a client fault (4xx). */
const SERVER_FAULTS = new Set(['InternalServerError', 'ThrottlingException']);

export function exceptionStatus(type: string): number {
  return SERVER_FAULTS.has(type) ? 500 : 400;
}

/** GetMediaAnalysisJob FailureDetails.Code values. */
export const FAILURE_CODES = ['INTERNAL_ERROR', 'INVALID_S3_OBJECT', 'INVALID_MANIFEST', 'INVALID_OUTPUT_CONFIG', 'INVALID_KMS_KEY',
  'ACCESS_DENIED', 'RESOURCE_NOT_FOUND', 'RESOURCE_NOT_READY', 'THROTTLED'] as const;
export type FailureCode = typeof FAILURE_CODES[number];

export function isOperation(name: string): name is Operation {
  return (OPERATIONS as readonly string[]).includes(name);
}
