// One connection attempt, from the moment a client named its target, and the one place its
// record is written: refused ones with decide()'s reason, rule and message; allowed ones once
// they are over, with their bytes and duration.
import { performance } from 'node:perf_hooks';
import { formatHostPort, printable } from '../policy';
import type { ConnectionEnd, ConnectionRecord, RefusalReason } from '../types';
import type { ProxyContext } from './context';

export type Attempt = {
  proxy: ConnectionRecord['proxy'];
  at: string;
  t0: number;
  /** Canonical host when it canonicalized; the raw text (cut) otherwise. */
  host: string;
  port: number;
};

export function startAttempt(proxy: Attempt['proxy'], host: string, port: number): Attempt {
  return { proxy, at: new Date().toISOString(), t0: performance.now(), host: host.slice(0, 255), port };
}

export type Refusal = {
  reason: RefusalReason;
  rule?: string;
  address?: string;
  /** One line, for the record and the client: why, in decide()'s words where it decided. */
  message: string;
  /** errno code of a failed dial (ECONNREFUSED...), for SOCKS reply codes. */
  code?: string;
};

/** The attempt's target as messages show it: one printable line whatever the client sent. */
export function shownTarget(a: Attempt): string {
  return printable(formatHostPort(a.host, a.port));
}

/** Whether the log kept the record (false: it was full, and counted it as dropped). */
export function recordDenied(ctx: ProxyContext, a: Attempt, r: Omit<Refusal, 'code'>): boolean {
  return ctx.log.addDenied({
    at: a.at, proxy: a.proxy, host: a.host, port: a.port,
    ...(r.address !== undefined && { address: r.address }),
    reason: r.reason,
    ...(r.rule !== undefined && { rule: r.rule }),
    message: r.message,
  });
}

/** The record of a connection that was made, written once it is over. */
export function recordAllowed(
  ctx: ProxyContext,
  a: Attempt,
  opened: { address: string; rule?: string },
  bytesUp: number,
  bytesDown: number,
  ended: ConnectionEnd,
): void {
  ctx.log.addAllowed({
    at: a.at, proxy: a.proxy, host: a.host, port: a.port, address: opened.address,
    ...(opened.rule !== undefined && { rule: opened.rule }),
    bytesUp, bytesDown, durationMs: Math.round(performance.now() - a.t0), ended,
  });
}
