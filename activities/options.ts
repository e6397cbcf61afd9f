// What a worker's operator sets for every sandboxed run of the worker: the worker ceiling (the
// trust boundary, compiled once here) and the worker's own settings. A workflow cannot reach any
// of it; its requests carry a session ceiling and per-call options only.
import { checkStaticAnswers, type StaticAnswersInput, type WorkerCeiling } from '../sandbox/policy';
import type { ProxyLimits } from '../sandbox/proxy/context';
import type { IdRange } from '../sandbox/contain/identity';
import { SandboxRunner } from '../sandbox/run/runner';
import { SandboxInputError } from '../sandbox/errors';

/**
 * How often, at most, a run's heartbeat reaches the server: a running command learns of its
 * cancellation only in the answer to a heartbeat, and the SDK would otherwise heartbeat at most
 * every 80% of heartbeatTimeout (24 s by default). Both the plugin's worker and the session
 * queue's use it.
 */
export const HEARTBEAT_THROTTLE = '2 seconds';

export type SandboxWorkerOptions = WorkerCeiling & {
  /** Static answers for the proxies' resolver, consulted before DNS: { name: address | addresses }. */
  resolveStatic?: StaticAnswersInput;
  /** Limits of every run's proxies (docs/mechanism.md, "The proxies' own limits"). */
  proxyLimits?: Partial<ProxyLimits>;
  /** Connection records kept per list (allowed, denied) in a result; default 1000. */
  maxRecords?: number;
  /** Between SIGTERM and SIGKILL when a run is ended; default 10 s. */
  killGraceMs?: number;
  /** Per stream; default 256 KiB (head and tail kept), far from Temporal's payload limit. */
  outputLimitBytes?: number;
  /** Warm sandboxes kept per template; default 1; 0 starts every run cold. */
  warm?: number;
  /** Under a root worker, where each run's unprivileged host uid and gid come from. */
  uidRange?: IdRange;
  /** Open sessions this worker holds at most; an open beyond it is retried elsewhere. Default 64. */
  maxSessions?: number;
};

/** maxSessions: a whole number from 0 (no sessions on this worker) up. */
export function checkMaxSessions(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new SandboxInputError(`maxSessions ${String(value)} must be a whole number (0 opens no session on this worker)`);
  }
  return value;
}

/** The runner of this worker's runs. Throws for a malformed ceiling, so a worker fails at start. */
export function makeWorkerRunner(options: SandboxWorkerOptions): SandboxRunner {
  const { maxNetworkMode, networkAllowlist, networkDenylist, allowProxyUrls, allowedPaths, limits, backends } = options;
  return new SandboxRunner({
    warm: options.warm,
    // A worker allows no extra host paths unless its operator lists them.
    worker: { maxNetworkMode, networkAllowlist, networkDenylist, allowProxyUrls, allowedPaths: allowedPaths ?? [], limits, backends },
    proxyLimits: options.proxyLimits,
    resolveStatic: checkStaticAnswers(options.resolveStatic),
    maxRecords: options.maxRecords,
    uidRange: options.uidRange,
  });
}
