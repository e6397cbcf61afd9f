// temporal-sandbox/workflow: what workflow code imports. Safe for Temporal's workflow bundle:
// nothing here (or below) imports a node builtin or @temporalio/activity.
export { sandboxSession, DEFAULT_ACTIVITY_OPTIONS, DEFAULT_RETRY } from './session';
export type { SandboxSession, SandboxSessionOptions } from './session';
export { RUN_ACTIVITY } from '../common/request';
export type { CommandFailureDetails, RunCallOptions, RunProgress, SandboxCeiling, SandboxRunRequest } from '../common/request';
export { FailureType, NON_RETRYABLE_TYPES } from '../common/failures';
export { PYPI_HOSTS, CLOUD_METADATA_DENY } from '../sandbox/policy/presets';
export type { Backend, ConnectionRecord, EffectivePolicy, NetworkMode, RunResult, Termination } from '../sandbox/types';
