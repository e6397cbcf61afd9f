// The worker's side of the kernel relay (docs/mechanism.md, "The relay"): one `sandbox-init
// relay` process per worker process, shared by every run, started on the first tunnel. A tunnel
// is handed over as the client's socket and the address the decision chose; the relay dials it,
// answers the client, moves the bytes with splice(2), and reports the exact byte counts. The
// decision and the records stay here.
import { spawn, type ChildProcess } from 'node:child_process';
import type * as net from 'node:net';
import { sendDetached, stopReading } from '../node-internals';
import { helperPath } from '../helper-path';
import type { RelayedTunnel, RelayEnd, RelayRequest, TunnelRelay } from '../proxy/relay-port';
import type { ConnectionEnd } from '../types';

type HandedTunnel = {
  client: net.Socket;
  opened: (outcome: { ok: true } | { ok: false; code: string }) => void;
  ended: (end: RelayEnd) => void;
  isOpen: boolean;
  /** Set once the worker asked for the end: the relay's answer is awaited this long. */
  ending?: NodeJS.Timeout;
};

/**
 * How long an asked-for end waits for the relay's byte counts. Past it the tunnel is settled here,
 * its bytes unknown (docs/mechanism.md, "A run always ends"): a relay that does not answer must
 * not hold a run's end.
 */
const END_ANSWER_MS = 2000;

/**
 * Early bytes (what the client sent behind its request, and what Node read of it) travel inside
 * the handover message; past this the tunnel stays in Node, whole (docs/mechanism.md, "The
 * relay"). One libuv read is 64 KiB, so an eager client's first write usually fits.
 */
export const MAX_HEAD = 64 * 1024;

class KernelRelay implements TunnelRelay {
  private child: ChildProcess | null = null;
  private readonly tunnels = new Map<number, HandedTunnel>();
  private nextId = 1;
  private stderr = '';

  /** The relay process's pid while it runs (its CPU and memory, for the bench and the tests). */
  get pid(): number | null {
    return this.child && this.child.exitCode === null ? this.child.pid ?? null : null;
  }

  relay(r: RelayRequest): RelayedTunnel | null {
    const given = r.head?.length ?? 0;
    if (given > MAX_HEAD) return null; // before anything changes: the tunnel stays in Node
    const child = this.ensure();
    if (!child) return null;
    // From here Node must not read the client: the relay does. What Node holds already travels
    // in the handover, after what the proxy was given; too much of it, and Node keeps the tunnel.
    const held = stopReading(r.client, MAX_HEAD - given);
    if (!held) return null;
    const head = given > 0 ? Buffer.concat([r.head!, held]) : held;
    const id = this.nextId++;
    let opened!: HandedTunnel['opened'];
    let ended!: HandedTunnel['ended'];
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
      rhead: head.toString('hex'),
      ridle: r.idleMs,
      rconn: r.connectMs,
    };
    sendDetached(r.client, () =>
      child.send(message, r.client, { keepOpen: true }, (err) => {
        if (err) this.settle(id, { ok: false, code: 'EPIPE' }, { up: 0, down: 0, how: 'reset' });
      }),
    );
    return {
      open,
      done,
      end: () => {
        const t = this.tunnels.get(id);
        if (!t || t.ending) return;
        t.ending = setTimeout(() => this.settleHere(id, 'run-end'), END_ANSWER_MS);
        if (this.child?.connected) this.child.send({ rend: id });
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
      for (const id of [...this.tunnels.keys()]) this.settleHere(id, 'reset');
    });
    // Started before its first tunnel is known to be one (the handover may yet stay in Node): idle
    // until then, and an idle relay must not keep the worker's event loop alive.
    this.refIfBusy();
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
      this.settle(m.rdone, { ok: true }, { up: Number(m.up), down: Number(m.down), how: connectionEnd(m.how) });
    }
  }

  /** Settled without the relay's word (it is gone, or did not answer): its bytes are unknown. */
  private settleHere(id: number, how: ConnectionEnd): void {
    const t = this.tunnels.get(id);
    if (t) this.settle(id, t.isOpen ? { ok: true } : { ok: false, code: 'ECONNABORTED' }, { up: 0, down: 0, how });
  }

  /** The tunnel is over (or never opened): our descriptor of the client goes now. */
  private settle(id: number, outcome: { ok: true } | { ok: false; code: string }, end: RelayEnd | null): void {
    const t = this.tunnels.get(id);
    if (!t) return;
    this.tunnels.delete(id);
    clearTimeout(t.ending);
    t.opened(outcome);
    if (end) {
      t.client.destroy();
      t.ended(end);
    } else t.ended({ up: 0, down: 0, how: 'reset' });
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

/** The relay's word for how a tunnel ended (native/relay.c), as a record says it. */
function connectionEnd(how: unknown): ConnectionEnd {
  return how === 'closed' || how === 'idle' || how === 'run-end' ? how : 'reset';
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
