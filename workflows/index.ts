// temporal-sandbox/workflow: what workflow code imports. Safe for Temporal's workflow bundle:
// nothing here (or below) imports a node builtin or @temporalio/activity.
export { sandboxSession } from './session';
export type { SandboxSession, SandboxSessionOptions } from './session';
export { openSandboxSession, withSandboxSession } from './open-session';
export type { OpenSandboxSession, OpenSandboxSessionOptions } from './open-session';
export { DEFAULT_FILE_BYTES, MAX_FILE_BYTES } from '../sandbox/session/rules';
/** Where a session's work dir appears inside its runs' view. */
export { WORKDIR_INSIDE as SESSION_WORKDIR } from '../sandbox/vocabulary';
export { DEFAULT_ACTIVITY_OPTIONS, DEFAULT_RETRY } from './activity-options';
export { RUN_ACTIVITY } from '../common/request';
export type { RunCallOptions, RunProgress, SandboxCeiling } from '../common/request';
export { FailureType, NON_RETRYABLE_TYPES, sandboxFailureOf } from '../common/failures';
export type {
  BackendFailureDetails, CommandFailureDetails, PolicyFailureDetails, SandboxFailure, SandboxFailureType, SessionLostDetails,
} from '../common/failures';
export { PYPI_HOSTS, CLOUD_METADATA_DENY } from '../sandbox/policy/presets';
export type { Limits } from '../sandbox/policy/limits';
export type { LimitName } from '../sandbox/vocabulary';
export type {
  AllowedRecord, AppliedLimit, Backend, Backstops, ConnectionRecord, DeniedRecord, EffectivePolicy, FilesystemView, NetworkMode, RunResult, Termination,
} from '../sandbox/types';
