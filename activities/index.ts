// temporal-sandbox/worker: the worker side (plugin and activities). Never import this from
// workflow code; workflows import `temporal-sandbox/workflow`.
export { SandboxPlugin, type SandboxPluginOptions } from './plugin';
export { createSandboxActivities } from './run';
export type { SandboxWorkerOptions } from './options';
export { FailureType, NON_RETRYABLE_TYPES } from '../common/failures';
export { RUN_ACTIVITY } from '../common/request';
