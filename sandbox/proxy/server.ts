// Connection bookkeeping shared by both proxies: admission against maxConnections, and a
// close() that really ends everything (every client and upstream socket) before it resolves,
// so a run's proxies never outlive the run and every allowed record is written by then.

import type * as net from 'node:net';
import { waitingFor } from '../waits';
import type { ConnectionEnd } from '../types';
import type { RelayedTunnel } from './relay-port';

export type ProxyServer = {
  /** Not yet listening: the caller does server.listen(handle) or listen(0, '127.0.0.1'). */
  server: net.Server;
  /** Stop accepting, destroy every live socket (both sides), resolve when all are closed. */
  close(): Promise<void>;
  /** Live client connections. */
  active(): number;
};

/** admitted: serve it; refuse: answer politely (HTTP 503 / SOCKS 0x01); dropped: already destroyed. */
export type Admission = 'admitted' | 'refuse' | 'dropped';

export class ConnectionTracker {
  private readonly clients = new Set<net.Socket>();
  private readonly upstreams = new Set<net.Socket>();
  /** Tunnels the kernel relay moves for this proxy: ended, and their records awaited, by close(). */
  private readonly relayed = new Set<RelayedTunnel>();
  private readonly refusing = new WeakSet<net.Socket>();
  private admittedCount = 0;
  private refusingCount = 0;
  private closing = false;

  constructor(private readonly maxConnections: number) {}

  get isClosing(): boolean {
    return this.closing;
  }

  /** How a connection cut short ended: by the run's end (this proxy closing), or by a side that left. */
  get cutShort(): ConnectionEnd {
    return this.closing ? 'run-end' : 'reset';
  }

  admit(socket: net.Socket): Admission {
    // Every socket gets an error listener at once: an unhandled 'error' would take the worker down.
    socket.on('error', noop);
    let verdict: Admission;
    if (this.closing) verdict = 'dropped';
    else if (this.admittedCount < this.maxConnections) verdict = 'admitted';
    // Over the limit we still answer, so the client sees a clear refusal instead of a reset;
    // those answers are bounded too (by count here, and by the head/handshake timeouts).
    else if (this.refusingCount < this.maxConnections) verdict = 'refuse';
    else verdict = 'dropped';
    if (verdict === 'dropped') {
      socket.destroy();
      return verdict;
    }
    if (verdict === 'admitted') this.admittedCount++;
    else {
      this.refusingCount++;
      this.refusing.add(socket);
    }
    this.clients.add(socket);
    socket.once('close', () => {
      this.clients.delete(socket);
      if (verdict === 'admitted') this.admittedCount--;
      else this.refusingCount--;
    });
    return verdict;
  }

  isRefusing(socket: net.Socket): boolean {
    return this.refusing.has(socket);
  }

  trackUpstream(socket: net.Socket): void {
    socket.on('error', noop);
    if (this.closing) {
      socket.destroy();
      return;
    }
    this.upstreams.add(socket);
    socket.once('close', () => this.upstreams.delete(socket));
  }

  trackRelayed(t: RelayedTunnel): void {
    this.relayed.add(t);
    void t.done.then(() => this.relayed.delete(t));
  }

  active(): number {
    return this.clients.size;
  }

  async close(server: net.Server): Promise<void> {
    this.closing = true;
    const stopped = new Promise<void>((resolve) => {
      if (server.listening) server.close(() => resolve());
      else resolve();
    });
    // A socket stays in these sets until it has emitted 'close' (records are written by 'close'
    // listeners). Wait for that event itself: `socket.closed` turns true when destroy() is called,
    // before the event, so trusting it would let a run return with records still to come.
    // The relay's tunnels first: each reports its bytes (its record) before its client goes.
    const tunnels = [...this.relayed];
    for (const t of tunnels) t.end();
    if (tunnels.length > 0) await waitingFor(`the relay's end of ${tunnels.length} tunnel(s)`, Promise.all(tunnels.map((t) => t.done)));
    const sockets = [...this.clients, ...this.upstreams];
    const closed = sockets.map((s) => new Promise<void>((r) => s.once('close', () => r())));
    for (const s of sockets) s.destroy();
    await Promise.all([stopped, ...closed]);
  }
}

export function makeProxyServer(server: net.Server, tracker: ConnectionTracker): ProxyServer {
  // Accept errors (EMFILE and the like) are emitted on the server; they must not crash the worker.
  server.on('error', noop);
  return {
    server,
    close: () => tracker.close(server),
    active: () => tracker.active(),
  };
}

export function noop(): void {}
