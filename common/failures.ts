// The failure types the sandbox layer raises, and the conversion of the core's typed errors into
// Temporal failures. Pure: used on both sides (the workflow checks policy before scheduling, the
// activity checks it again against the worker ceiling).
import { ApplicationFailure } from '@temporalio/common';
import { SandboxBackendError, SandboxError, SandboxInputError, SandboxPolicyError } from '../sandbox/errors';

export const FailureType = {
  /** A policy that cannot be applied or broadens its ceiling. Never retried. */
  policy: 'SandboxPolicyError',
  /** Bad input that is not a policy (empty command, bad env name, missing cwd). Never retried. */
  input: 'SandboxInputError',
  /** The command exited non-zero or timed out. Retried by the activity's retry policy. */
  commandFailed: 'SandboxCommandFailed',
  /** The command failed and the proxies refused connections for a policy reason. Never retried. */
  networkDenied: 'SandboxNetworkDenied',
  /** The backend cannot start on this worker (missing package, namespaces disabled). */
  backend: 'SandboxBackendError',
} as const;

/**
 * Error types that a retry cannot fix. PayloadsTooLarge is the SDK's own (a result over the
 * server's blob limit), which it marks retryable: the same command would only fail again.
 */
export const NON_RETRYABLE_TYPES: readonly string[] = [
  FailureType.policy,
  FailureType.input,
  FailureType.networkDenied,
  'PayloadsTooLarge',
];

/** A core SandboxError as a non-retryable ApplicationFailure of the same type; null for anything else. */
export function sandboxErrorToFailure(err: unknown): ApplicationFailure | null {
  if (err instanceof SandboxPolicyError) {
    return ApplicationFailure.create({
      message: err.message,
      type: FailureType.policy,
      nonRetryable: true,
      details: [{ entry: err.entry ?? null, ceiling: err.ceiling ?? null }],
    });
  }
  if (err instanceof SandboxInputError) {
    return ApplicationFailure.create({ message: err.message, type: FailureType.input, nonRetryable: true });
  }
  if (err instanceof SandboxBackendError) {
    return ApplicationFailure.create({
      message: err.message,
      type: FailureType.backend,
      nonRetryable: true,
      details: [{ backend: err.backend }],
    });
  }
  if (err instanceof SandboxError) {
    return ApplicationFailure.create({ message: err.message, type: err.type, nonRetryable: true });
  }
  return null;
}
