// The path every proxied connection takes, whichever protocol asked for it:
// decide (name) -> resolve once -> decide (addresses) -> dial the address that passed ->
// relay both ways -> record when it closes. A tunnel's bytes move in the kernel relay
// (sandbox/relay/, docs/mechanism.md "The relay") where there is one; otherwise through plain
// pipe() here (pipeInNode). Either way the decision and the record are made here.

import * as net from 'node:net';
import { decide, formatHostPort } from '../policy';
import type { HostKind } from '../policy';
import type { ConnectionEnd } from '../types';
import { recordAllowed, recordDenied, type Attempt, type Refusal } from './attempt';
import type { RunBudget } from './budget';
import type { ProxyContext } from './context';
import type { ConnectionTracker } from './server';

export type Opened =
  | { kind: 'open'; upstream: net.Socket; address: string; rule?: string }
  | { kind: 'refused'; refusal: Refusal }
  /** The client went away, or the proxy is closing: nothing to answer (a connection made is recorded). */
  | { kind: 'gone' };

/**
 * Decide, resolve, decide again and dial. Denied records are written here; the caller only
 * turns the refusal into its protocol's answer. `client` is watched so that a client that
 * leaves mid-way does not leave an upstream behind.
 */
export async function openUpstream(
  ctx: ProxyContext,
  tracker: ConnectionTracker,
  a: Attempt,
  kind: HostKind,
  client: net.Socket,
): Promise<Opened> {
  const decided = await decideTarget(ctx, tracker, a, kind, client);
  if (decided.kind !== 'decided') return decided;
  return dialDecided(ctx, tracker, a, client, decided);
}

/** Dial the address the decision chose, here in Node. */
async function dialDecided(
  ctx: ProxyContext,
  tracker: ConnectionTracker,
  a: Attempt,
  client: net.Socket,
  { address, rule }: { address: string; rule?: string },
): Promise<Opened> {
  try {
    const upstream = await dial(ctx.budget, tracker, client, address, a.port, ctx.limits.connectTimeoutMs);
    if (client.destroyed || tracker.isClosing) {
      // The upstream saw a connection from the run: that stays on the record.
      upstream.destroy();
      recordAllowed(ctx, a, { address, rule }, 0, 0, tracker.cutShort);
      return { kind: 'gone' };
    }
    return { kind: 'open', upstream, address, rule };
  } catch (err) {
    if (client.destroyed || tracker.isClosing) return { kind: 'gone' };
    return refuse(ctx, a, dialRefusal(address, a.port, rule, errText(err), (err as NodeJS.ErrnoException).code));
  }
}

export type Tunneled = { kind: 'tunnel' } | Extract<Opened, { kind: 'refused' | 'gone' }>;

/**
 * A tunnel for the client: decided, dialed, the client answered with `reply` once connected,
 * `head` sent upstream first, then the bytes relayed both ways and the record written when it
 * ends. A refusal (the policy's, or a failed dial) is the caller's to answer.
 */
export async function openTunnel(
  ctx: ProxyContext,
  tracker: ConnectionTracker,
  a: Attempt,
  kind: HostKind,
  client: net.Socket,
  o: { reply?: Buffer; head?: Buffer } = {},
): Promise<Tunneled> {
  const decided = await decideTarget(ctx, tracker, a, kind, client);
  if (decided.kind !== 'decided') return decided;
  const { address, rule } = decided;
  const relayed = ctx.relay?.relay({
    client, address, port: a.port, reply: o.reply, head: o.head,
    idleMs: ctx.limits.idleTimeoutMs, connectMs: ctx.limits.connectTimeoutMs,
  });
  if (!relayed) {
    // No relay for this one: dial and pipe here.
    const opened = await dialDecided(ctx, tracker, a, client, decided);
    if (opened.kind !== 'open') return opened;
    if (o.reply) client.write(o.reply);
    pipeInNode(ctx, tracker, a, opened, client, o.head);
    return { kind: 'tunnel' };
  }
  // Tracked from the handover on: a proxy closing ends it whether it is still dialing or open.
  tracker.trackRelayed(relayed);
  const release = ctx.budget.holdSlot();
  const outcome = await relayed.open;
  if (!outcome.ok) {
    release();
    if (client.destroyed || tracker.isClosing) return { kind: 'gone' };
    return refuse(ctx, a, dialRefusal(address, a.port, rule, outcome.code, outcome.code));
  }
  void relayed.done.then((end) => {
    release();
    recordAllowed(ctx, a, { address, rule }, end.up, end.down, end.how);
  });
  return { kind: 'tunnel' };
}

function refuse(ctx: ProxyContext, a: Attempt, r: Refusal): Extract<Opened, { kind: 'refused' }> {
  recordDenied(ctx, a, r);
  return { kind: 'refused', refusal: r };
}

function dialRefusal(address: string, port: number, rule: string | undefined, why: string, code: string | undefined): Refusal {
  return {
    reason: 'upstream-failed',
    rule,
    address,
    message: `cannot connect to ${formatHostPort(address, port)}: ${why}`,
    code,
  };
}

type Decided = { kind: 'decided'; address: string; rule?: string } | Extract<Opened, { kind: 'refused' | 'gone' }>;

/** decide, resolve once, decide on the answers, and the run's upstream bound: where to dial, or why not. */
async function decideTarget(ctx: ProxyContext, tracker: ConnectionTracker, a: Attempt, kind: HostKind, client: net.Socket): Promise<Decided> {
  const refuse = (r: Refusal): Decided => {
    recordDenied(ctx, a, r);
    return { kind: 'refused', refusal: r };
  };

  let d = decide(ctx.policy, { host: a.host, kind, port: a.port }, ctx.self);
  if (kind === 'name' && d.allowed && d.address === undefined) {
    let addresses: string[];
    try {
      addresses = await ctx.resolve(a.host);
    } catch (err) {
      if (client.destroyed || tracker.isClosing) return { kind: 'gone' };
      return refuse({ reason: 'resolve-failed', message: `${formatHostPort(a.host, a.port)}: cannot resolve ${a.host}: ${errText(err)}` });
    }
    if (client.destroyed || tracker.isClosing) return { kind: 'gone' };
    d = decide(ctx.policy, { host: a.host, kind, port: a.port, addresses }, ctx.self);
  }
  if (!d.allowed) return refuse({ reason: d.reason, rule: d.rule, address: d.address, message: d.message });

  const address = d.address ?? a.host;
  if (client.destroyed || tracker.isClosing) return { kind: 'gone' };
  if (ctx.budget.upstreamsFull) {
    return refuse({
      reason: 'over-limit',
      rule: 'maxUpstreams',
      address,
      message: `${formatHostPort(a.host, a.port)}: the run has ${ctx.limits.maxUpstreams} upstream connections open already (maxUpstreams)`,
    });
  }
  return { kind: 'decided', address, rule: d.rule };
}

/**
 * Connect to an IP literal (never a name: nothing is resolved twice), within timeoutMs. The socket
 * holds a slot of the run's budget until it closes; a client that leaves ends the dial at once.
 */
function dial(
  budget: RunBudget,
  tracker: ConnectionTracker,
  client: net.Socket,
  address: string,
  port: number,
  timeoutMs: number,
): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: address, port, allowHalfOpen: true, noDelay: true });
    budget.holdUpstream(s);
    tracker.trackUpstream(s);
    const fail = (err: Error): void => {
      done();
      s.destroy();
      reject(err);
    };
    const onError = (err: Error): void => fail(err);
    const onTimeout = (): void => fail(Object.assign(new Error(`timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    const onClose = (): void => fail(new Error('closed before connecting'));
    const onClientClose = (): void => fail(new Error('the client left'));
    const onConnect = (): void => {
      done();
      s.setTimeout(0);
      resolve(s);
    };
    const done = (): void => {
      s.removeListener('error', onError);
      s.removeListener('timeout', onTimeout);
      s.removeListener('close', onClose);
      s.removeListener('connect', onConnect);
      client.removeListener('close', onClientClose);
    };
    s.setTimeout(timeoutMs);
    client.once('close', onClientClose);
    s.once('error', onError);
    s.once('timeout', onTimeout);
    s.once('close', onClose);
    s.once('connect', onConnect);
  });
}

/**
 * Join client and upstream in Node, with pipe(). `head` is what the client sent after its
 * request (it goes first). Half-close travels through (pipe's end() on the other side,
 * allowHalfOpen on both); an abort on either side destroys the other; the client's socket timeout
 * is the idle timeout (it is refreshed by traffic in both directions, as both pass through the
 * client socket); the proxy closing (the run's end) destroys both, and the record says so.
 */
function pipeInNode(
  ctx: ProxyContext,
  tracker: ConnectionTracker,
  a: Attempt,
  opened: { upstream: net.Socket; address: string; rule?: string },
  client: net.Socket,
  head?: Buffer,
): void {
  const { upstream } = opened;
  client.setNoDelay(true);
  client.on('error', ignore);
  upstream.on('error', ignore);

  let closed = 0;
  let ended: ConnectionEnd = 'closed';
  const onClose = (x: net.Socket, y: net.Socket) => (): void => {
    // A clean close means both directions finished; then y finishes by itself (its pending
    // writes still flush). Anything else is an abort, and y must not linger.
    if (!(x.readableEnded && x.writableFinished)) {
      if (ended === 'closed') ended = tracker.cutShort;
      y.destroy();
    }
    if (++closed === 2) recordAllowed(ctx, a, opened, upstream.bytesWritten, upstream.bytesRead, ended);
  };
  client.once('close', onClose(client, upstream));
  upstream.once('close', onClose(upstream, client));

  client.setTimeout(ctx.limits.idleTimeoutMs);
  client.once('timeout', () => {
    ended = 'idle';
    client.destroy();
  });

  if (head && head.length > 0) upstream.write(head);
  client.pipe(upstream);
  upstream.pipe(client);
}

function errText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e && typeof e === 'object' ? e.code ?? e.message : String(err);
}

function ignore(): void {}
