// One run's budget, shared by its two proxies: how many upstream sockets may be open at once and
// how many bytes of pipelined requests may wait for their turn. maxConnections is per proxy and
// counts clients; this is what one command can take from the worker it shares with other runs
// (docs/mechanism.md, "The proxies' own limits"). It lives in the run's ProxyContext, which both proxies share.

import type * as net from 'node:net';

export class RunBudget {
  private upstreams = 0;
  private buffered = 0;

  constructor(private readonly limits: { maxUpstreams: number; maxBufferedBytes: number }) {}

  /** Open upstream sockets (dialing or connected). */
  get liveUpstreams(): number {
    return this.upstreams;
  }

  /** Bytes charged for requests waiting their turn. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  get upstreamsFull(): boolean {
    return this.upstreams >= this.limits.maxUpstreams;
  }

  /** Count a just-created upstream socket until its 'close'. Check upstreamsFull first. */
  holdUpstream(socket: net.Socket): void {
    this.upstreams++;
    socket.once('close', () => this.upstreams--);
  }

  /** Count an upstream held elsewhere (the kernel relay's) until the returned release is called. */
  holdSlot(): () => void {
    this.upstreams++;
    let held = true;
    return () => {
      if (held) this.upstreams--;
      held = false;
    };
  }

  /** Charge bytes that wait in memory; false (nothing charged) if they would pass the cap. */
  charge(bytes: number): boolean {
    if (this.buffered + bytes > this.limits.maxBufferedBytes) return false;
    this.buffered += bytes;
    return true;
  }

  release(bytes: number): void {
    this.buffered -= bytes;
  }
}
