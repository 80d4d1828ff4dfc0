/** `source` of every event the library publishes. */
export const MODERATION_EVENT_SOURCE = 'cdk-bulk-moderation';

/** `detail-type` of the one event published per manifest when its job has finished (or could never start). */
export const JOB_COMPLETED_DETAIL_TYPE = 'Moderation Job Completed';
