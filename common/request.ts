// What the workflow sends to the `sandbox.run` activity, and what the activity heartbeats. The
// contract both sides of the Temporal layer import (docs/temporal.md). Pure: the workflow bundle
// loads this file.
import type { Duration, RetryPolicy } from '@temporalio/common';
import type { PerCallNetwork, SessionCeiling } from '../sandbox/policy/ceiling';
import type { NetworkMode, RunResult } from '../sandbox/types';

/** The activity type name; prefixed so it cannot collide with a user's own activities. */
export const RUN_ACTIVITY = 'sandbox.run';

/** The session-level policy: the ceiling every run of the session stays under. */
export type SandboxCeiling = SessionCeiling;

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
  /** Fail (SandboxNetworkDenied) when the proxies refused anything by policy, whatever the exit code. */
  failOnDenied?: boolean;
  /** Activity options of this call only: shown in the UI, bounding it, retrying it. */
  summary?: string;
  startToCloseTimeout?: Duration;
  retry?: RetryPolicy;
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
  failOnDenied?: boolean;
  /** A run of an open session: its work dir, host user and ceiling are the session's. */
  sessionId?: string;
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
