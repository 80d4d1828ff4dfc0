export * from './completion-events';
export * from './moderation-engine';
export * from './moderation-job';
export * from './moderation-pipeline';
export * from './moderation-pipeline-props';
