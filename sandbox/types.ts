// The shapes of a run's result (docs/results.md). Pure: the workflow bundle loads this file.
import type { Backend, LimitName } from './vocabulary';

export type NetworkMode = 'blocked' | 'allowlist' | 'open';
export type { Backend } from './vocabulary';

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

/** What every connection record has: when, through which proxy, and the target as asked for. */
type RecordBase = {
  at: string;
  /**
   * The way in: a proxy the client asked (http, socks5), a connection captured without one
   * (transparent), or the stub DNS refusing a name (dns: port 53, the port the question came to).
   */
  proxy: 'http' | 'socks5' | 'transparent' | 'dns';
  host: string;
  port: number;
};

/** A connection that was made, written once it is over. */
export type AllowedRecord = RecordBase & {
  /** The address dialed: the one that passed the check. */
  address: string;
  /** The allow entry that matched (absent in open posture and with your own proxy). */
  rule?: string;
  bytesUp: number;
  bytesDown: number;
  durationMs: number;
  /**
   * How it ended: both sides finished ('closed'), one aborted ('reset'), nothing moved for
   * idleTimeoutMs ('idle'), or it was still open when the run ended and the run ended it
   * ('run-end'; docs/results.md).
   */
  ended: ConnectionEnd;
};

export type ConnectionEnd = 'closed' | 'reset' | 'idle' | 'run-end';

/** A connection that was refused, by the policy or by a bound of the proxies. */
export type DeniedRecord = RecordBase & {
  /** The address that was refused, when the refusal was about one. */
  address?: string;
  reason: RefusalReason;
  /** The entry that decided (a deny entry, the internal range, or the limit's name). */
  rule?: string;
  /** decide()'s one-line explanation, naming the target. */
  message: string;
};

export type ConnectionRecord = AllowedRecord | DeniedRecord;

/** The network part of a run's policy, as compiled from the ceilings. */
export type NetworkPolicy = {
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
  /** Present and true in report mode: every public destination was allowed and recorded. */
  report?: true;
};

/** The filesystem the command saw (docs/security-model.md, "The view"). Paths are inside the view. */
export type FilesystemView = {
  /** 'fresh': a new root holding only what is listed here; 'host': backend none, the host's own. */
  root: 'fresh' | 'host';
  readOnly: string[];
  readWrite: string[];
  /** Fresh, size-bounded tmpfs mounts of this run, as 'path (bytes)'. */
  tmpfs: string[];
  /** Root-only files hidden from a command whose host uid is 0 (it still owns root's files). */
  masked: string[];
};

/** How one limit was applied: by the kernel (rlimit, cgroup, tmpfs size), by PID 1, or not. */
export type AppliedLimit = { value: number; by: 'rlimit' | 'cgroup' | 'tmpfs' | 'supervisor' | 'none'; note?: string };
export type AppliedLimits = Record<LimitName, AppliedLimit>;

/** The kernel's backstops behind the view (docs/security-model.md, "Kernel backstops"). */
export type Backstops = {
  userNamespace: boolean;
  /** The command's uid and gid on the host (inside its user namespace it sees the same ids). */
  hostUid: number;
  hostGid: number;
  /** 'none': every set empty, no_new_privs. 'unchanged': backend none. */
  capabilities: 'none' | 'unchanged';
  seccomp: boolean;
  /** The Landlock ABI the ruleset used, or null with the reason. */
  landlock: { abi: number | null; note?: string };
};

/**
 * Transparent capture as applied (docs/mechanism.md, "Transparent capture"): every TCP
 * connection from inside reaches the run's decision, and names resolve through the stub DNS.
 */
export type CaptureApplied = {
  /** Every TCP connection to any address and port, by an nftables TPROXY rule in the run's namespace. */
  tcp: 'all';
  /** The stub DNS the view's /etc/resolv.conf names; null when the host has no resolv.conf to stand in for. */
  dns: '127.0.0.1:53' | null;
  /** IPv6 connections are captured too; false where IPv6 is off in the kernel (they have no route). */
  ipv6: boolean;
  /** Where a name the policy could allow resolves to, inside: synthetic, stable for the run. */
  syntheticRange: string;
  /** AAAA questions get no answer (NODATA): clients use the synthetic IPv4 address at once. */
  aaaa: 'nodata';
};

/** The policy as applied to one run. */
export type EffectivePolicy = NetworkPolicy & {
  /** Transparent capture, or null where the run has none (not allowlist, or no namespace). */
  capture: CaptureApplied | null;
  filesystem: FilesystemView;
  limits: AppliedLimits;
  backstops: Backstops;
};

export type Termination = 'exited' | 'timeout' | 'cancelled' | 'signal';

export type RunResult = {
  exitCode: number | null;
  signal: string | null;
  termination: Termination;
  /** The limit that ended the run, where that is known. */
  limit?: LimitName;
  durationMs: number;
  stdout: string;
  stderr: string;
  stdoutBytes: number;
  stderrBytes: number;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  backend: Backend;
  /** The work dir as the command saw it. */
  workdir: string;
  policy: EffectivePolicy;
  allowed: AllowedRecord[];
  denied: DeniedRecord[];
  /** Records left out of allowed/denied once their bound was reached. */
  recordsDropped: { allowed: number; denied: number };
};
