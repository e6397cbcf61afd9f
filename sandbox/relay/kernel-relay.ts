// The worker's side of the kernel relay (docs/mechanism.md, "The relay"): one `sandbox-init
// relay` process per worker process, shared by every run, started on the first tunnel. A tunnel
// is handed over as the client's socket and the address the decision chose; the relay dials it,
// answers the client, moves the bytes with splice(2), and reports the exact byte counts. The
// decision and the records stay here.
import { spawn, type ChildProcess } from 'node:child_process';
import type * as net from 'node:net';
import { helperPath } from '../run/helper-path';
import type { RelayedTunnel, RelayEnd, RelayRequest, TunnelRelay } from '../proxy/relay-port';

type Pending = {
  client: net.Socket;
  opened: (outcome: { ok: true } | { ok: false; code: string }) => void;
  ended: (end: RelayEnd) => void;
  isOpen: boolean;
};

/** Early bytes travel inside the handover message: past this, the tunnel stays in Node. */
const MAX_HEAD = 32 * 1024;

class KernelRelay implements TunnelRelay {
  private child: ChildProcess | null = null;
  private readonly tunnels = new Map<number, Pending>();
  private nextId = 1;
  private stderr = '';

  /** The relay process's pid while it runs (its CPU and memory, for the bench and the tests). */
  get pid(): number | null {
    return this.child && this.child.exitCode === null ? this.child.pid ?? null : null;
  }

  relay(r: RelayRequest): RelayedTunnel | null {
    const child = this.ensure();
    if (!child) return null;
    // From here Node must not read the client: the relay does. pause() alone lets libuv go on
    // reading into the stream's buffer, so stop the handle itself, and hand on what it holds
    // (with _read disabled: a read() of a drained stream would start the handle again).
    const client = r.client as net.Socket & { _read: (n: number) => void; _handle?: { reading?: boolean; readStop?: () => number } };
    const handle = client._handle;
    if (!handle?.readStop) return null;
    handle.reading = false;
    handle.readStop();
    const read = client._read;
    client._read = () => undefined;
    const held: Buffer[] = r.head && r.head.length > 0 ? [r.head] : [];
    while (client.readableLength > 0) held.push(client.read(client.readableLength) as Buffer);
    const head = held.length > 0 ? Buffer.concat(held) : undefined;
    if (head && head.length > MAX_HEAD) {
      client._read = read;
      client.unshift(head.subarray(r.head?.length ?? 0)); // back as it was: the tunnel stays in Node
      return null;
    }
    const id = this.nextId++;
    let opened!: Pending['opened'];
    let ended!: Pending['ended'];
    const open = new Promise<{ ok: true } | { ok: false; code: string }>((resolve) => (opened = resolve));
    const done = new Promise<RelayEnd>((resolve) => (ended = resolve));
    this.tunnels.set(id, { client: r.client, opened, ended, isOpen: false });
    this.refIfBusy();
    // The relay gets a duplicate of the client's descriptor; ours stays until the tunnel is over.
    r.client.setTimeout(0);
    r.client.pause();
    const message = {
      rid: id,
      rto: r.address,
      rport: r.port,
      rreply: r.reply ? r.reply.toString('hex') : '',
      rhead: head ? head.toString('hex') : '',
      ridle: r.idleMs,
      rconn: r.connectMs,
    };
    // Node ties a socket a server accepted to that server in the child it is sent to, and its
    // server.close() then waits on the child's count of them. We keep our own descriptor and
    // count (the server's connection count comes from our copy), so the socket goes unattached.
    const accepted = client as unknown as { server: unknown };
    const server = accepted.server;
    accepted.server = null;
    try {
      child.send(message, r.client, { keepOpen: true }, (err) => {
        if (err) this.settle(id, { ok: false, code: 'EPIPE' }, { up: 0, down: 0, how: 'reset' });
      });
    } finally {
      accepted.server = server;
    }
    return {
      open,
      done,
      end: () => {
        if (this.tunnels.has(id) && this.child?.connected) this.child.send({ rend: id });
      },
    };
  }

  private ensure(): ChildProcess | null {
    if (this.child && this.child.exitCode === null && this.child.connected) return this.child;
    let file: string;
    try {
      file = helperPath('relay');
    } catch {
      return null;
    }
    const child = spawn(file, ['relay'], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env: {} });
    this.child = child;
    this.stderr = '';
    child.stderr!.on('data', (c: Buffer) => (this.stderr = (this.stderr + c.toString()).slice(-2000)));
    child.on('message', (m: Record<string, unknown>) => this.onMessage(m));
    child.on('error', () => undefined);
    child.on('exit', () => {
      if (this.child === child) this.child = null;
      // Whatever it held is gone with it: each tunnel ends, as a reset, with no bytes known.
      for (const [id, t] of [...this.tunnels]) {
        this.settle(id, t.isOpen ? { ok: true } : { ok: false, code: 'ECONNABORTED' }, { up: 0, down: 0, how: 'reset' });
      }
    });
    return child;
  }

  private onMessage(m: Record<string, unknown>): void {
    if (typeof m.ropen === 'number') {
      const t = this.tunnels.get(m.ropen);
      if (t) {
        t.isOpen = true;
        t.opened({ ok: true });
      }
    } else if (typeof m.rfail === 'number') {
      this.settle(m.rfail, { ok: false, code: String(m.code) }, null);
    } else if (typeof m.rdone === 'number') {
      this.settle(m.rdone, { ok: true }, { up: Number(m.up), down: Number(m.down), how: String(m.how) });
    }
  }

  /** The tunnel is over (or never opened): our descriptor of the client goes now. */
  private settle(id: number, outcome: { ok: true } | { ok: false; code: string }, end: RelayEnd | null): void {
    const t = this.tunnels.get(id);
    if (!t) return;
    this.tunnels.delete(id);
    t.opened(outcome);
    if (end) {
      t.client.destroy();
      t.ended(end);
    } else t.ended({ up: 0, down: 0, how: 'failed' });
    this.refIfBusy();
  }

  /** Stops the relay process if it moves nothing now; the next tunnel starts another. */
  stopIfIdle(): void {
    if (this.tunnels.size === 0 && this.child) {
      const c = this.child;
      this.child = null;
      c.kill('SIGTERM');
    }
  }

  /** An idle relay must not keep the worker's event loop alive. */
  private refIfBusy(): void {
    const c = this.child;
    if (!c) return;
    const busy = this.tunnels.size > 0;
    for (const h of [c, c.channel, c.stderr] as Array<{ ref?: () => void; unref?: () => void } | null | undefined>) {
      if (busy) h?.ref?.();
      else h?.unref?.();
    }
  }
}

let shared: KernelRelay | null = null;

/** The process's relay: every run's proxies hand their tunnels to it (each proxy ends its own). */
export function kernelRelay(): TunnelRelay {
  return (shared ??= new KernelRelay());
}

/** A runner closing: the relay goes too unless another runner's tunnels are in it. */
export function stopKernelRelayIfIdle(): void {
  shared?.stopIfIdle();
}

/** The pid of this process's relay, or null when none runs. */
export function relayProcessId(): number | null {
  return shared?.pid ?? null;
}
