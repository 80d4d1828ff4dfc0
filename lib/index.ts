export * from './moderation-pipeline';
export * from './moderation-pipeline-props';
