// temporal-sandbox: the Temporal-free core. Run a command contained, under a network policy.
export { SandboxBackendError, SandboxError, SandboxInputError, SandboxPolicyError } from './errors';
export type {
  AllowedRecord, AppliedLimit, AppliedLimits, Backend, Backstops, ConnectionRecord, DeniedRecord, EffectivePolicy, FilesystemView, NetworkMode, NetworkPolicy,
  RefusalReason, RunResult, Termination,
} from './types';
export { runSandboxed, type RunOptions } from './run/run';
export { createSandboxRunner, SandboxRunner, type SandboxRunnerOptions } from './run/runner';
export { BACKENDS } from './vocabulary';
export { POLICY_REFUSALS } from './refusals';
export { CLOUD_METADATA_DENY, DEFAULT_RUN_LIMITS, PYPI_HOSTS, compilePolicy } from './policy';
export type { LimitName, Limits, PerCallNetwork, SessionCeiling, StaticAnswersInput, WorkerCeiling } from './policy';
export type { IdRange } from './contain/identity';
export type { ProxyLimits } from './proxy/context';
