// The absolute-form requests of one client connection, served one at a time. node:http emits a
// 'request' for every pipelined request as soon as it has parsed it (and answers them in order);
// serving each at once would dial one upstream per request, all together, and buffer every answer
// but the first. Here a request is served once the one before it is over and its own response
// owns the socket: a connection has at most one upstream (docs/mechanism.md, "The proxies' own limits").
//
// Requests waiting their turn are charged to the run's budget (maxBufferedBytes). The connection
// is not paused while they wait: node's parser consumes the socket itself, and a socket paused
// under it cannot be resumed cleanly once a CONNECT behind the requests makes it a tunnel.

import type * as http from 'node:http';
import type * as net from 'node:net';
import type { RunBudget } from './budget';

/** What node's objects for one parsed request weigh (about 1.6 KiB of heap on Node 20), rounded up. */
const REQUEST_OVERHEAD = 2048;

type Job = { res: http.ServerResponse; cost: number; serve: () => Promise<void> };

export class RequestLine {
  private readonly waiting: Job[] = [];
  private waitingBytes = 0;
  private busy = false;
  private gone = false;

  constructor(
    socket: net.Socket,
    private readonly budget: RunBudget,
  ) {
    socket.once('close', () => this.drop());
  }

  /**
   * Serve `serve` now if nothing is ahead, else queue it. `serve` resolves when its exchange is
   * over. false: waiting would take the run past maxBufferedBytes; nothing was queued.
   */
  add(req: http.IncomingMessage, res: http.ServerResponse, serve: () => Promise<void>): boolean {
    if (this.gone) return true;
    if (!this.busy) {
      this.start({ res, cost: 0, serve });
      return true;
    }
    const cost = requestCost(req);
    if (!this.budget.charge(cost)) return false;
    this.waiting.push({ res, cost, serve });
    this.waitingBytes += cost;
    return true;
  }

  private start(job: Job): void {
    this.busy = true;
    const go = (): void => {
      if (this.gone) return;
      job
        .serve()
        .catch(() => void job.res.destroy())
        .then(() => {
          this.busy = false;
          this.next();
        });
    };
    // A response owns the socket once the one before it has finished (node assigns it then).
    if (job.res.socket) go();
    else job.res.once('socket', go);
  }

  private next(): void {
    if (this.gone) return;
    const job = this.waiting.shift();
    if (!job) return;
    this.waitingBytes -= job.cost;
    this.budget.release(job.cost);
    this.start(job);
  }

  /** The client is gone: what waits is never served (no upstream was dialed for it). */
  private drop(): void {
    this.gone = true;
    this.budget.release(this.waitingBytes);
    this.waitingBytes = 0;
    this.waiting.length = 0;
  }
}

/** A request's weight while it waits: its head as received, and node's objects for it. */
function requestCost(req: http.IncomingMessage): number {
  let n = REQUEST_OVERHEAD + (req.method?.length ?? 0) + (req.url?.length ?? 0) + 12;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i++) n += raw[i].length + 2;
  return n;
}
