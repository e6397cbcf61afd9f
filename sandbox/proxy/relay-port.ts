// What the proxies ask of a relay that moves a tunnel's bytes for them (sandbox/relay/, docs/
// mechanism.md "The relay"): dial the address the decision chose, answer the client, move the
// bytes, report how many. The proxies keep the decision and write the records.
import type * as net from 'node:net';
import type { ConnectionEnd } from '../types';

export type RelayRequest = {
  /** The client's socket, paused; it stays open here until the tunnel is over. */
  client: net.Socket;
  /** The address that passed the decision, and its port. */
  address: string;
  port: number;
  /** Written to the client once connected (the CONNECT 200, the SOCKS success), before any byte. */
  reply?: Buffer;
  /** What the client sent after its request, written upstream first. */
  head?: Buffer;
  idleMs: number;
  connectMs: number;
};

/** Bytes that reached the other side each way, and how the tunnel ended (as its record says). */
export type RelayEnd = { up: number; down: number; how: ConnectionEnd };

export type RelayedTunnel = {
  /** Connected (the reply is written and bytes flow), or the dial's errno code. */
  open: Promise<{ ok: true } | { ok: false; code: string }>;
  /** Over, with every byte that reached the other side each way. */
  done: Promise<RelayEnd>;
  /** Ask for it to end now (the run is ending); `done` follows, within a bound, as 'run-end'. */
  end(): void;
};

export type TunnelRelay = {
  /** null: this tunnel stays in Node (no relay here, or early bytes too large to hand over). */
  relay(r: RelayRequest): RelayedTunnel | null;
};
