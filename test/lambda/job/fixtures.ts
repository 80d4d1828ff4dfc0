import type { OnEventRequest } from '../../../lambda/job/types';

export const STACK_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Moderation/6f1c2d30-0000-11ef-8a5b-0a1b2c3d4e5f';
export const RESPONSE_URL = 'https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com/secret?X-Amz-Signature=abc123secret';
export const ADAPTER_ARN = 'arn:aws:rekognition:eu-west-1:123456789012:project/moderation/version/adapter.1/1700000000000';

/** Every property set, as CloudFormation passes them (strings). */
export const FULL_PROPERTIES = {
  ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:Provider-framework-onEvent',
  ManifestBucket: 'input-bucket',
  ManifestKey: 'manifests/batch 1.jsonl',
  ManifestVersion: 'v3.Lx9Tk',
  OutputBucket: 'output-bucket',
  OutputPrefix: 'results/',
  KmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555',
  MinConfidence: '75.5',
  ProjectVersion: ADAPTER_ARN,
  JobNamePrefix: 'deploy-',
  WaitForCompletion: 'true',
} as const;

/** Only the required properties. */
export const MINIMAL_PROPERTIES = {
  ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:Provider-framework-onEvent',
  ManifestBucket: 'input-bucket',
  ManifestKey: 'manifest.jsonl',
  OutputBucket: 'output-bucket',
  OutputPrefix: '',
  WaitForCompletion: 'false',
} as const;

export function createEvent(properties: Record<string, unknown> = FULL_PROPERTIES, overrides: Partial<OnEventRequest> = {}): OnEventRequest {
  return {
    RequestType: 'Create',
    StackId: STACK_ID,
    RequestId: 'e4b8c1a0-1111-2222-3333-444455556666',
    LogicalResourceId: 'ModerationJob1A2B3C4D',
    ResourceType: 'Custom::ModerationJob',
    ResponseURL: RESPONSE_URL,
    ResourceProperties: properties,
    ...overrides,
  };
}

export function updateEvent(oldProperties: Record<string, unknown>, newProperties: Record<string, unknown>, physicalId: string): OnEventRequest {
  return createEvent(newProperties, {
    RequestType: 'Update',
    OldResourceProperties: oldProperties,
    PhysicalResourceId: physicalId,
    RequestId: 'update-request-1',
  });
}

export function deleteEvent(properties: Record<string, unknown>, physicalId: string): OnEventRequest {
  return createEvent(properties, { RequestType: 'Delete', PhysicalResourceId: physicalId, RequestId: 'delete-request-1' });
}
