// What the workflow sends to the `sandbox.run` activity, and what the activity sends back when a
// run fails. Pure types: both the workflow bundle and the worker load this file.
import type { FilesystemCeiling, NetworkCeiling, PerCallNetwork } from '../sandbox/policy/compile';
import type { Backend, ConnectionRecord, EffectivePolicy, NetworkMode, RunResult, Termination } from '../sandbox/types';

/** The activity type name; prefixed so it cannot collide with a user's own activities. */
export const RUN_ACTIVITY = 'sandbox.run';

/** The session-level policy (DESIGN 2): the ceiling every run of the session stays under. */
export type SandboxCeiling = NetworkCeiling & FilesystemCeiling & { backend?: Backend };

/** Per-call options of `session.run()`. */
export type RunCallOptions = {
  /** Narrows the session's posture for this run only (never widens it). */
  networkMode?: NetworkMode;
  /** Narrows the session's allowlist for this run only; every entry must be covered by it. */
  networkAllowlist?: readonly string[];
  /** Narrow the session's extra paths for this run only (each within the session's). */
  readOnlyPaths?: readonly string[];
  readWritePaths?: readonly string[];
  env?: Readonly<Record<string, string>>;
  cwd?: string;
  stdin?: string;
  timeoutSeconds?: number;
  /** Return the RunResult of a run that exited non-zero (or was refused) instead of failing. */
  allowFailure?: boolean;
};

/** The activity's input: one command under one ceiling, with its per-call narrowing. */
export type SandboxRunRequest = {
  /** argv; a string command given to run() arrives here as ['/bin/sh', '-c', command]. */
  command: string[];
  session: SandboxCeiling;
  call?: Omit<PerCallNetwork, 'networkDenylist'>;
  env?: Record<string, string>;
  cwd?: string;
  stdin?: string;
  timeoutSeconds?: number;
  allowFailure?: boolean;
};

/** Details[0] of a SandboxCommandFailed or SandboxNetworkDenied failure. */
export type CommandFailureDetails = {
  exitCode: number | null;
  signal: string | null;
  termination: Termination;
  /** The last 4 KiB of stderr. */
  stderrTail: string;
  denied: ConnectionRecord[];
  allowed: ConnectionRecord[];
  policy: EffectivePolicy;
  command: string[];
  durationMs: number;
  backend: Backend;
};

/** What the activity heartbeats while the command runs. */
export type RunProgress = {
  elapsedMs: number;
  stdoutBytes: number;
  stderrBytes: number;
  /** The last non-empty line of output so far, cut to 200 characters. */
  lastLine: string;
};

export type { RunResult };
