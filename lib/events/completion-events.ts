export { JOB_COMPLETED_DETAIL_TYPE, MODERATION_EVENT_SOURCE } from './completion-event-contract';
