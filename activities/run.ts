// The `sandbox.run` activity: runs the request's command under the worker's runner (which holds
// the worker ceiling, the trust boundary), heartbeats progress, ends the process tree on
// cancellation, and maps outcomes to typed failures (docs/temporal.md).
import { Context } from '@temporalio/activity';
import { sandboxErrorToFailure } from '../common/failures';
import { RUN_ACTIVITY, type SandboxRunRequest } from '../common/request';
import type { RunOptions } from '../sandbox/run/options';
import type { SandboxRunner } from '../sandbox/run/runner';
import { SandboxSessionLost } from '../sandbox/errors';
import type { SessionStore } from '../sandbox/session/store';
import type { RunResult } from '../sandbox/types';
import { pickCeiling } from '../sandbox/vocabulary';
import { makeWorkerRunner, type SandboxWorkerOptions } from './options';
import { failureFor } from './outcome';
import { ProgressTracker } from './progress';

/**
 * The activities to register (the plugin does this): { 'sandbox.run': fn }. Give a runner to
 * control the warm sandboxes' lifetime (the plugin closes its runner when the worker stops), and
 * a session store for the runs of open sessions (the plugin's; without one a session's run is
 * refused as lost).
 */
export function createSandboxActivities(options: SandboxWorkerOptions = {}, runner = makeWorkerRunner(options), sessions?: SessionStore) {
  return {
    [RUN_ACTIVITY]: (request: SandboxRunRequest): Promise<RunResult> => runActivity(request, options, runner, sessions),
  };
}

async function runActivity(request: SandboxRunRequest, options: SandboxWorkerOptions, runner: SandboxRunner, sessions: SessionStore | undefined): Promise<RunResult> {
  const ctx = Context.current();
  const progress = new ProgressTracker();
  // Cancellation reaches an activity only through heartbeats; the SDK throttles what it sends.
  const every = Math.max(100, Math.min(1000, (ctx.info.heartbeatTimeoutMs ?? 3000) / 3));
  const beat = setInterval(() => ctx.heartbeat(progress.snapshot()), every);
  let result: RunResult;
  try {
    const run = { ...runOptionsFor(request, options), signal: ctx.cancellationSignal, onOutput: progress.onOutput };
    if (request.sessionId === undefined) result = await runner.run(run);
    else if (sessions) result = await sessions.run(request.sessionId, run);
    else throw new SandboxSessionLost(String(request.sessionId), 'this worker holds no sessions (its activities were registered without SandboxPlugin)');
  } catch (err) {
    throw sandboxErrorToFailure(err) ?? err;
  } finally {
    clearInterval(beat);
  }

  // The process tree is gone by now; report the cancellation as such (a CancelledFailure).
  if (result.termination === 'cancelled') await ctx.cancelled;
  if (request.allowFailure) return result;
  const failure = failureFor(result, request.command, { failOnDenied: request.failOnDenied === true });
  if (failure) throw failure;
  return result;
}

/**
 * The run options a request may set. Only the ceiling's own fields are taken from its session:
 * whatever else its JSON carries (limits of the proxies, a record bound, static answers) must not
 * reach the run; those are the worker's, in its runner.
 */
export function runOptionsFor(request: SandboxRunRequest, options: SandboxWorkerOptions): RunOptions {
  return {
    ...pickCeiling(request.session),
    command: request.command,
    call: request.call,
    env: request.env,
    inheritEnv: false,
    cwd: request.cwd,
    stdin: request.stdin,
    timeoutSeconds: request.timeoutSeconds,
    killGraceMs: options.killGraceMs,
    outputLimitBytes: options.outputLimitBytes,
  };
}
