// The worker's ceiling (docs/policy.md, "Narrowing"): what the operator allows at most. It is the
// trust boundary, and it is compiled once, when the worker starts, not for every run.
import type { Backend, NetworkMode } from '../types';
import { checkBackend, DEFAULT_WORKER_BACKENDS } from '../vocabulary';
import type { WorkerCeiling } from './ceiling';
import type { Entry } from './entry';
import { flat, parseList } from './entry-lists';
import { checkLimits, type Limits } from './limits';
import { checkMode } from './mode';
import { checkPathList } from './paths';

export type CompiledWorkerCeiling = {
  readonly compiled: true;
  maxMode: NetworkMode;
  /** undefined: a session may allow anything. */
  allow: Entry[] | undefined;
  deny: Entry[];
  allowProxyUrls: boolean;
  /** undefined: any path (the CLI, whose caller is the operator). */
  allowedPaths: string[] | undefined;
  limits: Partial<Limits>;
  backends: readonly Backend[] | undefined;
};

/** No ceiling at all: the CLI's case, where the caller is the operator. */
const NO_WORKER_CEILING: CompiledWorkerCeiling = Object.freeze({
  compiled: true,
  maxMode: 'open',
  allow: undefined,
  deny: [],
  allowProxyUrls: true,
  allowedPaths: undefined,
  limits: {},
  backends: undefined,
});

export function compileWorkerCeiling(worker: WorkerCeiling | CompiledWorkerCeiling | undefined): CompiledWorkerCeiling {
  if (worker === undefined) return NO_WORKER_CEILING;
  if ((worker as CompiledWorkerCeiling).compiled === true) return worker as CompiledWorkerCeiling;
  const w = worker as WorkerCeiling;
  return {
    compiled: true,
    maxMode: checkMode(w.maxNetworkMode, 'worker maxNetworkMode', 'open'),
    allow: w.networkAllowlist === undefined ? undefined : flat(parseList(w.networkAllowlist, 'worker networkAllowlist')),
    deny: flat(parseList(w.networkDenylist, 'worker networkDenylist')),
    allowProxyUrls: w.allowProxyUrls === true,
    allowedPaths: w.allowedPaths === undefined ? undefined : checkPathList(w.allowedPaths, 'worker allowedPaths'),
    limits: checkLimits(w.limits, 'worker limits'),
    backends: (w.backends ?? DEFAULT_WORKER_BACKENDS).map((b) => checkBackend(b, 'worker backends entry')),
  };
}
