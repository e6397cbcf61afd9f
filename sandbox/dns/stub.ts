// The run's stub DNS (docs/mechanism.md, "The stub DNS"), on 127.0.0.1:53 inside the namespace,
// UDP and TCP. It answers from the policy alone and never asks anyone: a name the policy could
// allow gets its synthetic address (A) and no IPv6 answer (AAAA: NODATA, so clients use the A
// at once); a refused name gets NXDOMAIN and one denied record (proxy 'dns'); every other type
// gets NODATA for an allowed name. The name is resolved for real only when the command connects.
// What it holds is bounded whatever the command asks: refused names (refused-names.ts),
// synthetic names (synthetic.ts), and questions answered per second (query-rate.ts).
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { canonicalizeHost, decideName, isHostProblem } from '../policy';
import { recordDenied, startAttempt } from '../proxy/attempt';
import type { ProxyContext } from '../proxy/context';
import { ConnectionTracker, makeProxyServer, noop, type ProxyServer } from '../proxy/server';
import { buildResponse, CLASS_IN, ipv4Bytes, parseQuery, RCODE, TYPE_A } from './message';
import { QueryRate } from './query-rate';
import { RefusedNames } from './refused-names';

/** Seconds a client may cache an answer: the mapping holds for the whole run anyway. */
const TTL = 60;
/** A DNS message over TCP is at most this (its two-byte length says so); a query is far smaller. */
const MAX_TCP_QUERY = 4096;
const TCP_IDLE_MS = 10_000;

export type DnsStub = {
  /** Takes the UDP socket made inside the namespace. */
  adoptUdp(handle: object): void;
  /** Answers on a bound UDP socket: the one adoptUdp makes of sandbox-init's, or a test's. */
  serveUdp(socket: dgram.Socket): void;
  tcp: ProxyServer;
  /** Questions left unanswered past the rate bound, UDP and TCP together. */
  readonly droppedQueries: number;
  close(): Promise<void>;
};

export function createDnsStub(ctx: ProxyContext, rate = new QueryRate()): DnsStub {
  const refused = new RefusedNames();
  let droppedQueries = 0;
  // Past the rate bound a question gets no answer at all, as from an overloaded resolver, rather
  // than REFUSED. A flood then costs no reply to build and send. And the client waits out its
  // resolver's timeout (2 s, the view's resolv.conf) before it fails or asks again, so a command
  // past the bound is slowed to what the bound allows; REFUSED would fail its lookup at once and
  // let a client that retries on failure spin.
  const answer = (msg: Buffer): Buffer | null => {
    if (rate.admit()) return answerQuery(ctx, refused, msg);
    droppedQueries++;
    return null;
  };
  let udp: dgram.Socket | null = null;
  const tracker = new ConnectionTracker(64);
  const server = net.createServer((socket) => {
    if (tracker.admit(socket) === 'admitted') serveTcp(socket, answer);
    else socket.destroy();
  });
  const tcp = makeProxyServer(server, tracker);
  const serveUdp = (socket: dgram.Socket): void => {
    udp = socket;
    socket.on('error', noop);
    socket.on('message', (msg, peer) => {
      const reply = answer(msg);
      if (reply) socket.send(reply, peer.port, peer.address, noop);
    });
  };
  return {
    adoptUdp: (handle) => {
      const socket = dgram.createSocket('udp4');
      serveUdp(socket);
      socket.bind(handle as never);
    },
    serveUdp,
    tcp,
    get droppedQueries() {
      return droppedQueries;
    },
    close: async () => {
      const u = udp;
      udp = null;
      await Promise.all([tcp.close(), u ? new Promise<void>((r) => u.close(() => r())) : undefined]);
    },
  };
}

/**
 * One question in, its answer out. A refused name is recorded the first time it is asked, while
 * the run's record log has room; past that, it is counted as dropped there (RefusedNames).
 */
export function answerQuery(ctx: ProxyContext, refused: RefusedNames, msg: Buffer): Buffer {
  const parsed = parseQuery(msg);
  if (!parsed.ok) return buildResponse({ id: parsed.id }, parsed.rcode);
  const q = parsed.question;
  if (q.qclass !== CLASS_IN) return buildResponse(q, RCODE.notImp);
  if (q.name === '') return buildResponse(q, RCODE.refused);
  const c = canonicalizeHost(q.name);
  const name = isHostProblem(c) ? q.name : c.host;
  const d = decideName(ctx.policy, q.name);
  if (!d.allowed) {
    refused.refuse(name, () =>
      recordDenied(ctx, startAttempt('dns', name, 53), { reason: d.reason, rule: d.rule, message: `${d.message}: the stub DNS answered NXDOMAIN` }));
    return buildResponse(q, RCODE.nxDomain);
  }
  if (q.type !== TYPE_A) return buildResponse(q, RCODE.noError); // NODATA: AAAA and the rest
  const address = ctx.names.addressFor(name);
  if (address === null) return buildResponse(q, RCODE.servFail); // the synthetic range is used up
  return buildResponse(q, RCODE.noError, [{ type: TYPE_A, ttl: TTL, data: ipv4Bytes(address) }]);
}

/**
 * DNS over TCP: messages framed by a two-byte length, answered in order, the connection bounded.
 * A question past the rate bound ends the connection, after the answers before it: the client
 * would otherwise wait on its answer until its timeout. What it sends after that is read and
 * discarded (unread bytes at close would reset the connection and could lose those answers).
 */
function serveTcp(socket: net.Socket, answer: (msg: Buffer) => Buffer | null): void {
  let buf: Buffer = Buffer.alloc(0);
  let ended = false;
  socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    if (ended) return;
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    while (buf.length >= 2) {
      const len = buf.readUInt16BE(0);
      if (len > MAX_TCP_QUERY) {
        socket.destroy();
        return;
      }
      if (buf.length < 2 + len) break;
      const reply = answer(buf.subarray(2, 2 + len));
      if (!reply) {
        ended = true;
        buf = Buffer.alloc(0);
        socket.end();
        return;
      }
      buf = buf.subarray(2 + len);
      const framed = Buffer.alloc(2 + reply.length);
      framed.writeUInt16BE(reply.length, 0);
      reply.copy(framed, 2);
      socket.write(framed);
    }
    if (buf.length > MAX_TCP_QUERY + 2) socket.destroy();
  });
  socket.on('end', () => socket.end());
}
