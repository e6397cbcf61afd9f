// The shapes of the three ceilings a run's policy comes from (docs/policy.md, "Narrowing"): the
// worker's, the session's, and the per-call override, each at most the one before.
import type { Backend, NetworkMode, NetworkPolicy } from '../types';
import type { Entry } from './entry';
import type { Limits } from './limits';

export type NetworkCeiling = {
  networkMode?: NetworkMode; // default 'blocked'
  networkAllowlist?: readonly string[];
  networkDenylist?: readonly string[];
  networkProxyUrl?: string; // http://host:port (userinfo allowed)
  networkSocksUrl?: string; // socks5h://host:port
  /**
   * Report mode (docs/policy.md, "Report mode"): an allowlist session that allows every public
   * destination and records it, to learn the allowlist a command needs. The denylist and the
   * internal-address backstop still apply. Not under a worker allowlist.
   */
  report?: boolean;
};

/** What the view adds to its defaults, and the run's resource limits. */
export type FilesystemCeiling = {
  readOnlyPaths?: readonly string[];
  readWritePaths?: readonly string[];
  limits?: Partial<Limits>;
};

/** A session's ceiling: every run of the session stays under it. */
export type SessionCeiling = NetworkCeiling & FilesystemCeiling & { backend?: Backend };

export type PerCallNetwork = {
  networkMode?: NetworkMode;
  networkAllowlist?: readonly string[];
  /** Always refused: the denylist is the session's and the worker's only. */
  networkDenylist?: unknown;
  /** Narrowing only: each must lie within the session's (read-only ones within either list). */
  readOnlyPaths?: readonly string[];
  readWritePaths?: readonly string[];
};

export type WorkerCeiling = {
  maxNetworkMode?: NetworkMode; // default 'open'
  networkAllowlist?: readonly string[]; // what a session may allow at most; undefined = anything
  networkDenylist?: readonly string[]; // always applied on top of the session's
  allowProxyUrls?: boolean; // default false: BYO proxies bypass the worker denylist
  /** Host path prefixes a session may add to its view; none by default. undefined = anything (the CLI). */
  allowedPaths?: readonly string[];
  /** The most a session may ask for, per limit; defaults above these are lowered to them. */
  limits?: Partial<Limits>;
  /** Backends a session may choose; default bubblewrap and userns. */
  backends?: readonly Backend[];
};

export type CompiledPolicy = {
  backend: Backend;
  mode: NetworkMode;
  /** Report mode: the allowlist step passes every destination (the denylist and backstop do not). */
  report: boolean;
  allow: Entry[];
  deny: Entry[];
  proxyUrl: string | null;
  socksUrl: string | null;
  readOnlyPaths: string[];
  readWritePaths: string[];
  limits: Limits;
  effective: NetworkPolicy;
};

export const NETWORK_MODES: readonly NetworkMode[] = ['blocked', 'allowlist', 'open'];
