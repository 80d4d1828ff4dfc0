export * from './events/completion-events';
export * from './engine/moderation-engine';
export * from './job/moderation-job';
export * from './pipeline/moderation-pipeline';
export * from './pipeline/moderation-pipeline-props';
export * from './job/moderation-job-props';
