// One run's budget, shared by its two proxies: how many upstream sockets may be open at once.
// maxConnections is per proxy and counts clients; this is what one command can take from the
// worker it shares with other runs (README, "Limits"). Both proxies of a run are made from the
// same ProxyContext object, so the budget is found by that object.

import type * as net from 'node:net';
import type { ProxyContext, ProxyLimits } from './context';

export class RunBudget {
  private upstreams = 0;

  constructor(private readonly limits: Pick<ProxyLimits, 'maxUpstreams'>) {}

  /** Open upstream sockets (dialing or connected). */
  get liveUpstreams(): number {
    return this.upstreams;
  }

  get upstreamsFull(): boolean {
    return this.upstreams >= this.limits.maxUpstreams;
  }

  /** Count a just-created upstream socket until its 'close'. Check upstreamsFull first. */
  holdUpstream(socket: net.Socket): void {
    this.upstreams++;
    socket.once('close', () => this.upstreams--);
  }
}

const budgets = new WeakMap<ProxyContext, RunBudget>();

export function budgetOf(ctx: ProxyContext): RunBudget {
  let b = budgets.get(ctx);
  if (!b) {
    b = new RunBudget(ctx.limits);
    budgets.set(ctx, b);
  }
  return b;
}
