export * from './events/completion-events';
export { JobStatus, type JobCompletedRuleOptions } from './events/job-completed-rule';
export * from './engine/moderation-engine';
export * from './job/moderation-job';
export * from './pipeline/moderation-pipeline';
export * from './pipeline/moderation-pipeline-interface';
export * from './pipeline/moderation-pipeline-props';
export * from './job/moderation-job-props';
export * from './ingest/image-ingestion';
