import { sandboxErrorToFailure } from '../common/failures';

/** Runs a check; the core's typed errors become non-retryable failures that fail the workflow. */
export function checked<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw sandboxErrorToFailure(err) ?? err;
  }
}
