/** What the tracking workflow's construct tells the tracker function. */
export const TrackerEnvironment = {
  /** Key that encrypts the flagged-images list the tracker writes. */
  KMS_KEY_ID: 'KMS_KEY_ID',
  /** Identifies the pipeline in every completion event (detail.pipeline), so rules can tell pipelines apart. */
  PIPELINE_ID: 'PIPELINE_ID',
} as const;
