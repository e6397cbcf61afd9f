// The `sandbox.run` activity: checks the request against the worker ceiling, runs the command in
// a fresh sandbox, heartbeats progress, ends the process tree on cancellation, and maps outcomes
// to typed failures (DESIGN 6).
import { Context } from '@temporalio/activity';
import type { IdRange } from '../sandbox/contain/identity';
import type { RunOptions } from '../sandbox/run/options';
import type { RunResult } from '../sandbox/types';
import { sandboxErrorToFailure } from '../common/failures';
import { RUN_ACTIVITY, type SandboxRunRequest } from '../common/request';
import { checkRequest, workerPart, type SandboxWorkerCeiling } from './ceiling';
import { failureFor } from './outcome';
import { ProgressTracker } from './progress';
import { WorkerRunner } from './runner';

export type SandboxActivityOptions = SandboxWorkerCeiling & {
  /** Static answers for the proxies' resolver (name -> addresses), consulted before DNS. */
  resolveStatic?: ReadonlyMap<string, readonly string[]>;
  /** Between SIGTERM and SIGKILL when a run is ended; the core's default is 10 s. */
  killGraceMs?: number;
  /** Per stream; the core's default (256 KiB, head and tail kept) keeps results far from the payload limit. */
  outputLimitBytes?: number;
  /** Warm sandboxes kept per shape (backend, posture); default 1; 0 starts every run cold. */
  warm?: number;
  /** Under a root worker, where each run's unprivileged host uid and gid come from. */
  uidRange?: IdRange;
};

/**
 * The activities to register (the plugin does this): { 'sandbox.run': fn }. Give a runner to
 * control the warm sandboxes' lifetime (the plugin closes its runner when the worker stops).
 */
export function createSandboxActivities(options: SandboxActivityOptions = {}, runner = new WorkerRunner(options.warm ?? 1, options.uidRange)) {
  return {
    [RUN_ACTIVITY]: (request: SandboxRunRequest): Promise<RunResult> => runActivity(request, options, runner),
  };
}

async function runActivity(request: SandboxRunRequest, options: SandboxActivityOptions, runner: WorkerRunner): Promise<RunResult> {
  const ctx = Context.current();
  try {
    checkRequest(request, options);
  } catch (err) {
    throw sandboxErrorToFailure(err) ?? err;
  }

  const progress = new ProgressTracker();
  // Cancellation reaches an activity only through heartbeats; the SDK throttles what it sends.
  const every = Math.max(100, Math.min(1000, (ctx.info.heartbeatTimeoutMs ?? 3000) / 3));
  const beat = setInterval(() => ctx.heartbeat(progress.snapshot()), every);
  let result: RunResult;
  try {
    result = await runner.run({
      ...runOptionsFor(request, options),
      signal: ctx.cancellationSignal,
      onOutput: progress.onOutput,
    });
  } catch (err) {
    throw sandboxErrorToFailure(err) ?? err;
  } finally {
    clearInterval(beat);
  }

  // The process tree is gone by now; report the cancellation as such (a CancelledFailure).
  if (result.termination === 'cancelled') await ctx.cancelled;
  if (request.allowFailure) return result;
  const failure = failureFor(result, request.command);
  if (failure) throw failure;
  return result;
}

/**
 * The run options a request may set, and the ones the worker owns. Only the ceiling's own fields
 * are taken from the request's session: whatever else its JSON carries (limits, a record bound,
 * static answers) must not reach the run.
 */
export function runOptionsFor(request: SandboxRunRequest, options: SandboxActivityOptions): RunOptions {
  const { networkMode, networkAllowlist, networkDenylist, networkProxyUrl, networkSocksUrl, backend, readOnlyPaths, readWritePaths, limits } =
    request.session ?? {};
  return {
    networkMode, networkAllowlist, networkDenylist, networkProxyUrl, networkSocksUrl, backend, readOnlyPaths, readWritePaths, limits,
    command: request.command,
    call: request.call,
    worker: workerPart(options),
    env: request.env,
    inheritEnv: false,
    cwd: request.cwd,
    stdin: request.stdin,
    timeoutSeconds: request.timeoutSeconds,
    killGraceMs: options.killGraceMs,
    resolveStatic: options.resolveStatic,
    outputLimitBytes: options.outputLimitBytes,
  };
}
