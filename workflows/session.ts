// sandboxSession(): the workflow-side API of stateless runs. A session is a ceiling plus activity
// options; each run() is one `sandbox.run` activity on any worker of the task queue, with a fresh
// empty work dir of its own.
import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import { RUN_ACTIVITY, type RunCallOptions, type SandboxCeiling, type SandboxRunRequest } from '../common/request';
import { compilePolicy } from '../sandbox/policy/compile';
import type { RunResult } from '../sandbox/types';
import { CEILING_FIELDS } from '../sandbox/vocabulary';
import { callActivityOptions, sessionActivityOptions } from './activity-options';
import { checked } from './checked';
import { buildRequest } from './request';

/** The ceiling, Temporal activity options (activityId excluded: every run gets its own), and run defaults. */
export type SandboxSessionOptions = SandboxCeiling &
  Omit<ActivityOptions, 'activityId'> & {
    /** Every run fails (SandboxNetworkDenied) when the proxies refused anything by policy; a call may say otherwise. */
    failOnDenied?: boolean;
  };

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

type RunActivity = { [RUN_ACTIVITY]: (request: SandboxRunRequest) => Promise<RunResult> };

/** The session's options, split into its ceiling, its run defaults and its activity options. */
export function splitSessionOptions(options: SandboxSessionOptions): {
  ceiling: SandboxCeiling;
  failOnDenied: boolean | undefined;
  activity: ActivityOptions;
} {
  const ceiling: Record<string, unknown> = {};
  const activity: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined || key === 'failOnDenied') continue;
    if ((CEILING_FIELDS as readonly string[]).includes(key)) ceiling[key] = value;
    else activity[key] = value;
  }
  return { ceiling: ceiling as SandboxCeiling, failOnDenied: options.failOnDenied, activity: sessionActivityOptions(activity) };
}

export function sandboxSession(options: SandboxSessionOptions = {}): SandboxSession {
  const { ceiling, failOnDenied, activity } = splitSessionOptions(options);
  checked(() => compilePolicy(ceiling));
  return {
    ceiling: Object.freeze({ ...ceiling }),
    activityOptions: Object.freeze({ ...activity }),
    async run(command, perCall = {}) {
      const request = checked(() => buildRequest(ceiling, command, perCall, { failOnDenied }));
      const activities = proxyActivities<RunActivity>(callActivityOptions(activity, perCall));
      return activities[RUN_ACTIVITY](request);
    },
  };
}
