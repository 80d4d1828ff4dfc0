/**
 * Minimal shapes of the custom-resources provider framework's user-handler contract
 * (aws-cdk-lib/custom-resources/lib/provider-framework/types.d.ts), kept local so the
 * bundle does not depend on aws-cdk-lib.
 */

export type RequestType = 'Create' | 'Update' | 'Delete';

/** What the framework passes to onEvent. ResponseURL is present but must never be logged. */
export interface OnEventRequest {
  readonly RequestType: RequestType;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly ResourceType: string;
  readonly ResponseURL?: string;
  readonly ResourceProperties: Readonly<Record<string, unknown>>;
  /** Update only. */
  readonly OldResourceProperties?: Readonly<Record<string, unknown>>;
  /** Update and Delete only. */
  readonly PhysicalResourceId?: string;
}

/** Attributes every onEvent response carries (see ModerationJobAttribute). */
export interface ModerationJobData {
  /** Rekognition JobId, or the per-image execution's ARN. */
  readonly JobId: string;
  readonly JobName: string;
  readonly OutputPrefix: string;
  readonly ClientRequestToken: string;
  /** Only for a per-image run. */
  readonly Engine?: 'per-image';
}

export interface OnEventResponse {
  /** For Delete, the physical id received. */
  readonly PhysicalResourceId: string;
  readonly Data?: ModerationJobData;
}

/** onEvent's request with its response merged in (the framework does `{ ...request, ...response }`). */
export interface IsCompleteRequest extends OnEventRequest {
  readonly Data?: Readonly<Record<string, unknown>>;
}

/** Attributes added when a waited-for job has succeeded. */
export interface CompletedJobData {
  readonly ResultsLocation?: string;
  readonly SummaryLocation?: string;
  readonly Status: string;
}

export interface IsCompleteResponse {
  readonly IsComplete: boolean;
  /** Merged into onEvent's Data by the framework; not allowed while IsComplete is false. */
  readonly Data?: CompletedJobData;
}
