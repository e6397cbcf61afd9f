// Everything one proxy needs for one run: the policy, how to resolve names, where records go,
// and the limits that keep a misbehaving command from exhausting the worker.

import type { CompiledPolicy } from '../policy';
import type { StaticAnswers } from '../policy';
import { RunBudget } from './budget';
import { RecordLog } from './records';
import { SyntheticNames } from './synthetic-names';
import type { TunnelRelay } from './relay-port';
import { createResolver, type Resolve } from './resolver';

export type ProxyLimits = {
  /** Upstream dial must complete within this. */
  connectTimeoutMs: number;
  /** An HTTP request head must arrive within this (slowloris guard). */
  headersTimeoutMs: number;
  /** SOCKS5 greeting, authentication and request must arrive within this. */
  handshakeTimeoutMs: number;
  /** Largest HTTP request head accepted. */
  maxHeaderBytes: number;
  /** Live client connections per proxy; beyond it new ones are refused cleanly. */
  maxConnections: number;
  /** A tunnel with no traffic either way for this long is closed. */
  idleTimeoutMs: number;
  /** Upstream sockets open at once per run, both proxies together; beyond it a dial is refused. */
  maxUpstreams: number;
  /**
   * Bytes of pipelined HTTP requests waiting for their turn per run, both proxies together (each
   * charged at its head plus node's objects for it); beyond it the request is refused.
   */
  maxBufferedBytes: number;
};

export const DEFAULT_LIMITS: ProxyLimits = Object.freeze({
  connectTimeoutMs: 10_000,
  headersTimeoutMs: 15_000,
  handshakeTimeoutMs: 15_000,
  maxHeaderBytes: 16 * 1024,
  maxConnections: 2048,
  idleTimeoutMs: 300_000,
  maxUpstreams: 1024,
  maxBufferedBytes: 16 * 1024 * 1024,
});

export type ProxyContext = {
  policy: CompiledPolicy;
  resolve: Resolve;
  log: RecordLog;
  /** Required credentials when the listener sits on the host network (open+deny, backend none). */
  credential: { username: string; password: string } | null;
  /** 'ip:port' of our own listeners as seen from where the client is (self-connection guard). */
  self: string[];
  limits: ProxyLimits;
  /** What the run's two proxies may take from the worker together (budget.ts). */
  budget: RunBudget;
  /** The stub DNS's synthetic addresses, read back by the transparent proxy. */
  names: SyntheticNames;
  /** Where tunnels' bytes move (the kernel relay), or null: through pipe() in this process. */
  relay: TunnelRelay | null;
};

/** The one way a run's proxy context is made: both proxies of the run share what it returns. */
export function makeProxyContext(o: {
  policy: CompiledPolicy;
  answers?: StaticAnswers;
  /** Instead of the static answers then DNS (tests that count lookups). */
  resolve?: Resolve;
  log?: RecordLog;
  credential?: ProxyContext['credential'];
  limits?: Partial<ProxyLimits>;
  maxRecords?: number;
  relay?: TunnelRelay | null;
}): ProxyContext {
  const limits = { ...DEFAULT_LIMITS, ...o.limits };
  return {
    policy: o.policy,
    resolve: o.resolve ?? createResolver(o.answers),
    log: o.log ?? new RecordLog(o.maxRecords),
    credential: o.credential ?? null,
    self: [],
    limits,
    budget: new RunBudget(limits),
    names: new SyntheticNames(),
    relay: o.relay ?? null,
  };
}
