// The shapes of DESIGN.md section 5, exactly. Pure: the workflow bundle loads this file.

export type NetworkMode = 'blocked' | 'allowlist' | 'open';
export type Backend = 'bubblewrap' | 'userns' | 'none';

export type RefusalReason =
  | 'denylisted'
  | 'not-allowlisted'
  | 'internal-address'
  | 'malformed'
  | 'unsupported'
  | 'resolve-failed'
  | 'upstream-failed'
  /** A per-run limit of the proxies was reached (the record's rule names it): not the policy. */
  | 'over-limit';

/** Reasons that come from the policy itself (a retry cannot change them). */
export const POLICY_REFUSALS: readonly RefusalReason[] = [
  'denylisted',
  'not-allowlisted',
  'internal-address',
  'malformed',
  'unsupported',
];

export type ConnectionRecord = {
  at: string;
  proxy: 'http' | 'socks5';
  host: string;
  port: number;
  address?: string;
  reason?: RefusalReason;
  rule?: string;
  bytesUp?: number;
  bytesDown?: number;
  durationMs?: number;
};

/** The policy as applied to one run. */
export type EffectivePolicy = {
  mode: NetworkMode;
  /** Canonical entries, presets expanded. Empty unless mode is allowlist. */
  allowlist: string[];
  /** Canonical entries, presets expanded; session and worker entries together. */
  denylist: string[];
  /** Bring-your-own proxy URLs; when set, none of our lists applies. */
  proxyUrl: string | null;
  socksUrl: string | null;
  /** What enforces the posture, in plain words, and what does not. */
  notes: string[];
};

export type Termination = 'exited' | 'timeout' | 'cancelled' | 'signal';

export type RunResult = {
  exitCode: number | null;
  signal: string | null;
  termination: Termination;
  durationMs: number;
  stdout: string;
  stderr: string;
  stdoutBytes: number;
  stderrBytes: number;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  backend: Backend;
  policy: EffectivePolicy;
  allowed: ConnectionRecord[];
  denied: ConnectionRecord[];
  /** Records left out of allowed/denied once their bound was reached. */
  recordsDropped: { allowed: number; denied: number };
};
