// The failures the sandbox layer raises, their details, and the two conversions: a core error into
// a Temporal failure (worker side) and a caught error back into a typed sandbox failure (workflow
// side). Pure: both sides load this file.
import { ApplicationFailure } from '@temporalio/common';
import { SandboxBackendError, SandboxError, SandboxInputError, SandboxInternalError, SandboxPolicyError, SandboxSessionLost, SandboxSessionsFull } from '../sandbox/errors';
import type { AllowedRecord, Backend, DeniedRecord, EffectivePolicy, Termination } from '../sandbox/types';

/**
 * Every failure type of the sandbox layer and whether a retry can help: one list, which the worker
 * raises with (sandboxErrorToFailure) and the workflow's retry policy reads (NON_RETRYABLE_TYPES).
 */
const FAILURES = {
  /** A policy that cannot be applied or broadens its ceiling. */
  policy: { type: 'SandboxPolicyError', retryable: false },
  /** Bad input that is not a policy (empty command, bad env name, missing cwd). */
  input: { type: 'SandboxInputError', retryable: false },
  /** The command exited non-zero or timed out. Retried by the activity's retry policy, except a
   * command that could not be found or run (exit 126, 127), which no retry changes. */
  commandFailed: { type: 'SandboxCommandFailed', retryable: true },
  /** The proxies refused connections by policy (and the command failed, or failOnDenied). */
  networkDenied: { type: 'SandboxNetworkDenied', retryable: false },
  /** The backend cannot start, or cannot contain the run, on this worker. */
  backend: { type: 'SandboxBackendError', retryable: false },
  /** The session's worker is gone, or the session ended (closed, timed out). */
  sessionLost: { type: 'SandboxSessionLost', retryable: false },
  /** The worker holds its maxSessions already: the open is retried, and may land elsewhere. */
  sessionsFull: { type: 'SandboxSessionsFull', retryable: true },
  /** The sandbox could not finish a run (a bug of ours, naming what it waited for). */
  internal: { type: 'SandboxInternalError', retryable: true },
} as const;

type FailureKind = keyof typeof FAILURES;

export const FailureType = Object.freeze(
  Object.fromEntries(Object.entries(FAILURES).map(([kind, f]) => [kind, f.type])) as { readonly [K in FailureKind]: (typeof FAILURES)[K]['type'] },
);
export type SandboxFailureType = (typeof FailureType)[FailureKind];

/**
 * Error types that a retry cannot fix. PayloadsTooLarge is the SDK's own (a result over the
 * server's blob limit), which it marks retryable: the same command would only fail again.
 */
export const NON_RETRYABLE_TYPES: readonly string[] = [
  ...Object.values(FAILURES).filter((f) => !f.retryable).map((f) => f.type),
  'PayloadsTooLarge',
];

const retryable = (type: string): boolean => Object.values(FAILURES).some((f) => f.type === type && f.retryable);

/** Details of a SandboxCommandFailed or SandboxNetworkDenied failure. */
export type CommandFailureDetails = {
  exitCode: number | null;
  signal: string | null;
  termination: Termination;
  /** The last 4 KiB of stderr. */
  stderrTail: string;
  denied: DeniedRecord[];
  allowed: AllowedRecord[];
  policy: EffectivePolicy;
  command: string[];
  durationMs: number;
  backend: Backend;
};
/** Details of a SandboxPolicyError: the entry at fault and the ceiling it exceeds, where known. */
export type PolicyFailureDetails = { entry: string | null; ceiling: string | null };
/** Details of a SandboxBackendError. */
export type BackendFailureDetails = { backend: string };
/** Details of a SandboxSessionLost: which session, and the queue its calls went to (when known). */
export type SessionLostDetails = { sessionId: string; taskQueue: string | null };

/** A sandbox failure as a workflow sees it, typed by its kind. */
export type SandboxFailure =
  | { type: 'SandboxCommandFailed' | 'SandboxNetworkDenied'; message: string; nonRetryable: boolean; details: CommandFailureDetails }
  | { type: 'SandboxPolicyError'; message: string; nonRetryable: boolean; details: PolicyFailureDetails }
  | { type: 'SandboxBackendError'; message: string; nonRetryable: boolean; details: BackendFailureDetails }
  | { type: 'SandboxInputError'; message: string; nonRetryable: boolean; details: null }
  | { type: 'SandboxSessionLost'; message: string; nonRetryable: boolean; details: SessionLostDetails }
  | { type: 'SandboxSessionsFull' | 'SandboxInternalError'; message: string; nonRetryable: boolean; details: null };

const TYPES = new Set<string>(Object.values(FailureType));

/**
 * The sandbox failure inside what a workflow caught: an ActivityFailure whose cause is ours, or
 * our ApplicationFailure itself (a policy error raised in the workflow). null for anything else.
 */
export function sandboxFailureOf(err: unknown): SandboxFailure | null {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = (e as Error).cause, depth++) {
    if (e instanceof ApplicationFailure && e.type && TYPES.has(e.type)) {
      const details = (e.details?.[0] ?? null) as never;
      return { type: e.type as SandboxFailureType, message: e.message, nonRetryable: e.nonRetryable === true, details } as SandboxFailure;
    }
  }
  return null;
}

/** A core SandboxError as an ApplicationFailure of the same type, retryable as FAILURES says; null for anything else. */
export function sandboxErrorToFailure(err: unknown): ApplicationFailure | null {
  if (err instanceof SandboxPolicyError) {
    const details: PolicyFailureDetails = { entry: err.entry ?? null, ceiling: err.ceiling ?? null };
    return ApplicationFailure.create({ message: err.message, type: FailureType.policy, nonRetryable: !retryable(FailureType.policy), details: [details] });
  }
  if (err instanceof SandboxInputError) {
    return ApplicationFailure.create({ message: err.message, type: FailureType.input, nonRetryable: !retryable(FailureType.input) });
  }
  if (err instanceof SandboxBackendError) {
    const details: BackendFailureDetails = { backend: err.backend };
    return ApplicationFailure.create({ message: err.message, type: FailureType.backend, nonRetryable: !retryable(FailureType.backend), details: [details] });
  }
  if (err instanceof SandboxSessionLost) {
    const details: SessionLostDetails = { sessionId: err.sessionId, taskQueue: null };
    return ApplicationFailure.create({ message: err.message, type: FailureType.sessionLost, nonRetryable: !retryable(FailureType.sessionLost), details: [details] });
  }
  if (err instanceof SandboxSessionsFull) {
    return ApplicationFailure.create({ message: err.message, type: FailureType.sessionsFull, nonRetryable: !retryable(FailureType.sessionsFull) });
  }
  if (err instanceof SandboxInternalError) {
    return ApplicationFailure.create({ message: err.message, type: FailureType.internal, nonRetryable: !retryable(FailureType.internal) });
  }
  if (err instanceof SandboxError) {
    return ApplicationFailure.create({ message: err.message, type: err.type, nonRetryable: true });
  }
  return null;
}
