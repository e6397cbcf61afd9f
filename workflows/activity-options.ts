// The activity options a sandboxed run is scheduled with: ours by default, the session's on top,
// and a call's own (summary, startToCloseTimeout, retry) on top of those.
import { ActivityCancellationType, type ActivityOptions, type RetryPolicy } from '@temporalio/workflow';
import { NON_RETRYABLE_TYPES } from '../common/failures';
import type { RunCallOptions } from '../common/request';

export const DEFAULT_RETRY: Readonly<RetryPolicy> = {
  maximumAttempts: 3,
  nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES],
};

export const DEFAULT_ACTIVITY_OPTIONS: Readonly<ActivityOptions> = {
  startToCloseTimeout: '10 minutes',
  // Heartbeats carry cancellation to the activity, and let a dead worker's run be retried soon.
  heartbeatTimeout: '30 seconds',
  // A cancelled workflow waits until the activity has ended the process tree: when the workflow
  // reports cancelled, nothing of the run is left (Temporal's own default, TRY_CANCEL, does not wait).
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
};

/**
 * Retry policies merge field by field: a caller's { initialInterval } keeps the bounded attempts
 * and the non-retryable types; maximumAttempts: 0 asks for Temporal's unlimited retries.
 */
function withRetry(base: ActivityOptions, retry: RetryPolicy | undefined): RetryPolicy {
  return { ...DEFAULT_RETRY, ...base.retry, ...retry };
}

export function sessionActivityOptions(given: Omit<ActivityOptions, 'activityId'>): ActivityOptions {
  const options: ActivityOptions = { ...DEFAULT_ACTIVITY_OPTIONS, ...given };
  delete (options as { activityId?: string }).activityId; // every run gets its own
  return { ...options, retry: withRetry(options, given.retry) };
}

export function callActivityOptions(session: ActivityOptions, call: RunCallOptions): ActivityOptions {
  const options: ActivityOptions = { ...session, retry: withRetry(session, call.retry) };
  if (call.summary !== undefined) options.summary = call.summary;
  if (call.startToCloseTimeout !== undefined) options.startToCloseTimeout = call.startToCloseTimeout;
  return options;
}

/**
 * Opening a session: quick, and retried more often than a run (a full worker refuses it, and the
 * next attempt may land on another); the session's own retry policy still bounds it.
 */
export function openActivityOptions(session: ActivityOptions): ActivityOptions {
  return {
    ...session,
    startToCloseTimeout: '1 minute',
    heartbeatTimeout: undefined,
    retry: { initialInterval: '1 second', maximumInterval: '10 seconds', ...session.retry, maximumAttempts: atLeastTen(session.retry?.maximumAttempts) },
  };
}

/** putFile, getFile and close: quick calls that do not heartbeat. */
export function fileActivityOptions(session: ActivityOptions): ActivityOptions {
  return { ...session, startToCloseTimeout: '1 minute', heartbeatTimeout: undefined };
}

/** 0 is Temporal's "unlimited", and stays so. */
function atLeastTen(attempts: number | undefined): number {
  return attempts === 0 ? 0 : Math.max(10, attempts ?? 0);
}
