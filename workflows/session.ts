// sandboxSession(): the workflow-side API. A session is a network ceiling plus activity options;
// each run() is one `sandbox.run` activity. Narrowing is checked here, with the same pure policy
// code the worker uses, so a broadening run() fails the workflow before anything is scheduled.
import { ActivityCancellationType, proxyActivities, type ActivityOptions, type RetryPolicy } from '@temporalio/workflow';
import { SandboxInputError, SandboxPolicyError } from '../sandbox/errors';
import { compilePolicy } from '../sandbox/policy/compile';
import type { Backend, RunResult } from '../sandbox/types';
import { NON_RETRYABLE_TYPES, sandboxErrorToFailure } from '../common/failures';
import { RUN_ACTIVITY, type RunCallOptions, type SandboxCeiling, type SandboxRunRequest } from '../common/request';

/** The ceiling plus Temporal activity options (activityId excluded: every run gets its own). */
export type SandboxSessionOptions = SandboxCeiling & Omit<ActivityOptions, 'activityId'>;

export interface SandboxSession {
  /** The session's ceiling, as given. */
  readonly ceiling: Readonly<SandboxCeiling>;
  /** The activity options every run is scheduled with (defaults applied). */
  readonly activityOptions: Readonly<ActivityOptions>;
  /**
   * Runs one command as a `sandbox.run` activity and returns its RunResult. A string runs under
   * `/bin/sh -c`; an array is argv. Fails with SandboxCommandFailed (retried by `retry`) on a
   * non-zero exit, unless `allowFailure` is set.
   */
  run(command: string | readonly string[], perCall?: RunCallOptions): Promise<RunResult>;
}

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

const CEILING_KEYS = [
  'networkMode', 'networkAllowlist', 'networkDenylist', 'networkProxyUrl', 'networkSocksUrl', 'backend',
  'readOnlyPaths', 'readWritePaths', 'limits',
] as const;
const BACKENDS: readonly Backend[] = ['bubblewrap', 'userns', 'none'];

export function sandboxSession(options: SandboxSessionOptions = {}): SandboxSession {
  const ceiling: SandboxCeiling = {};
  const activity: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if ((CEILING_KEYS as readonly string[]).includes(key)) (ceiling as Record<string, unknown>)[key] = value;
    else activity[key] = value;
  }
  delete activity.activityId;
  checked(() => {
    if (ceiling.backend !== undefined && !BACKENDS.includes(ceiling.backend)) {
      throw new SandboxPolicyError(`backend '${String(ceiling.backend)}' is unknown: write one of ${BACKENDS.join(', ')}`, {
        entry: String(ceiling.backend),
      });
    }
    compilePolicy(ceiling);
  });

  const activityOptions: ActivityOptions = {
    ...DEFAULT_ACTIVITY_OPTIONS,
    ...(activity as ActivityOptions),
    // Field by field: a caller's { initialInterval } keeps the bounded attempts and the
    // non-retryable types; give maximumAttempts: 0 for Temporal's unlimited retries.
    retry: { ...DEFAULT_RETRY, ...(activity.retry as RetryPolicy | undefined) },
  };
  const activities = proxyActivities<{ [RUN_ACTIVITY]: (request: SandboxRunRequest) => Promise<RunResult> }>(activityOptions);

  return {
    ceiling: Object.freeze({ ...ceiling }),
    activityOptions: Object.freeze({ ...activityOptions }),
    async run(command, perCall = {}) {
      const request = checked(() => buildRequest(ceiling, command, perCall));
      return activities[RUN_ACTIVITY](request);
    },
  };
}

function buildRequest(session: SandboxCeiling, command: string | readonly string[], perCall: RunCallOptions): SandboxRunRequest {
  const argv = toArgv(command);
  const call = {
    networkMode: perCall.networkMode,
    networkAllowlist: perCall.networkAllowlist,
    readOnlyPaths: perCall.readOnlyPaths,
    readWritePaths: perCall.readWritePaths,
  };
  // A JavaScript caller may pass a denylist per call; compilePolicy refuses it by name.
  const denylist = (perCall as { networkDenylist?: unknown }).networkDenylist;
  compilePolicy(session, denylist === undefined ? call : { ...call, networkDenylist: denylist });
  if (perCall.timeoutSeconds !== undefined && !(typeof perCall.timeoutSeconds === 'number' && perCall.timeoutSeconds > 0)) {
    throw new SandboxInputError(`timeoutSeconds must be a positive number of seconds, not ${String(perCall.timeoutSeconds)}`);
  }
  const request: SandboxRunRequest = { command: argv, session: { ...session } };
  const narrowed = Object.entries(call).filter(([, v]) => v !== undefined);
  if (narrowed.length > 0) {
    request.call = Object.fromEntries(narrowed.map(([k, v]) => [k, Array.isArray(v) ? [...v] : v]));
  }
  if (perCall.env !== undefined) request.env = { ...perCall.env };
  if (perCall.cwd !== undefined) request.cwd = perCall.cwd;
  if (perCall.stdin !== undefined) request.stdin = perCall.stdin;
  if (perCall.timeoutSeconds !== undefined) request.timeoutSeconds = perCall.timeoutSeconds;
  if (perCall.allowFailure) request.allowFailure = true;
  return request;
}

function toArgv(command: string | readonly string[]): string[] {
  if (typeof command === 'string') {
    if (command.trim() === '') throw new SandboxInputError('command is empty: give a shell command line or an argv array');
    return ['/bin/sh', '-c', command];
  }
  if (!Array.isArray(command) || command.length === 0 || command.some((a) => typeof a !== 'string')) {
    throw new SandboxInputError('command must be a string or a non-empty array of strings (argv)');
  }
  if (command[0] === '') throw new SandboxInputError('command[0] is empty: name the program to run');
  if (command.some((a) => a.includes('\0'))) throw new SandboxInputError('a command argument contains a NUL byte');
  return [...command];
}

/** Runs a check; the core's typed errors become non-retryable failures that fail the workflow. */
function checked<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw sandboxErrorToFailure(err) ?? err;
  }
}

