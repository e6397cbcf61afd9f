// The run's stub DNS (docs/mechanism.md, "The stub DNS"), on 127.0.0.1:53 inside the namespace,
// UDP and TCP. It answers from the policy alone and never asks anyone: a name the policy could
// allow gets its synthetic address (A) and no IPv6 answer (AAAA: NODATA, so clients use the A
// at once); a refused name gets NXDOMAIN and one denied record (proxy 'dns'); every other type
// gets NODATA for an allowed name. The name is resolved for real only when the command connects.
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { canonicalizeHost, decideName, isHostProblem } from '../policy';
import { recordDenied, startAttempt } from '../proxy/attempt';
import type { ProxyContext } from '../proxy/context';
import { ConnectionTracker, makeProxyServer, noop, type ProxyServer } from '../proxy/server';
import { buildResponse, CLASS_IN, parseQuery, RCODE, TYPE_A } from './message';
import { ipv4Bytes } from './synthetic';

/** Seconds a client may cache an answer: the mapping holds for the whole run anyway. */
const TTL = 60;
/** A DNS message over TCP is at most this (its two-byte length says so); a query is far smaller. */
const MAX_TCP_QUERY = 4096;
const TCP_IDLE_MS = 10_000;

export type DnsStub = {
  /** Takes the UDP socket made inside the namespace. */
  adoptUdp(handle: object): void;
  tcp: ProxyServer;
  close(): Promise<void>;
};

export function createDnsStub(ctx: ProxyContext): DnsStub {
  const refused = new Set<string>();
  const answer = (msg: Buffer): Buffer => answerQuery(ctx, refused, msg);
  let udp: dgram.Socket | null = null;
  const tracker = new ConnectionTracker(64);
  const server = net.createServer((socket) => {
    if (tracker.admit(socket) === 'admitted') serveTcp(socket, answer);
    else socket.destroy();
  });
  const tcp = makeProxyServer(server, tracker);
  return {
    adoptUdp: (handle) => {
      udp = dgram.createSocket('udp4');
      udp.on('error', noop);
      udp.on('message', (msg, peer) => {
        const reply = answer(msg);
        udp?.send(reply, peer.port, peer.address, noop);
      });
      udp.bind(handle as never);
    },
    tcp,
    close: async () => {
      const u = udp;
      udp = null;
      await Promise.all([tcp.close(), u ? new Promise<void>((r) => u.close(() => r())) : undefined]);
    },
  };
}

/** One question in, its answer out; a refused name is recorded the first time it is asked. */
export function answerQuery(ctx: ProxyContext, refused: Set<string>, msg: Buffer): Buffer {
  const parsed = parseQuery(msg);
  if (!parsed.ok) return buildResponse({ id: parsed.id }, parsed.rcode);
  const q = parsed.question;
  if (q.qclass !== CLASS_IN) return buildResponse(q, RCODE.notImp);
  if (q.name === '') return buildResponse(q, RCODE.refused);
  const c = canonicalizeHost(q.name);
  const name = isHostProblem(c) ? q.name : c.host;
  const d = decideName(ctx.policy, q.name);
  if (!d.allowed) {
    if (!refused.has(name)) {
      refused.add(name);
      recordDenied(ctx, startAttempt('dns', name, 53), { reason: d.reason, rule: d.rule, message: `${d.message}: the stub DNS answered NXDOMAIN` });
    }
    return buildResponse(q, RCODE.nxDomain);
  }
  if (q.type !== TYPE_A) return buildResponse(q, RCODE.noError); // NODATA: AAAA and the rest
  const address = ctx.names.addressFor(name);
  if (address === null) return buildResponse(q, RCODE.servFail); // 131,070 names in one run
  return buildResponse(q, RCODE.noError, [{ type: TYPE_A, ttl: TTL, data: ipv4Bytes(address) }]);
}

/** DNS over TCP: messages framed by a two-byte length, answered in order, the connection bounded. */
function serveTcp(socket: net.Socket, answer: (msg: Buffer) => Buffer): void {
  let buf: Buffer = Buffer.alloc(0);
  socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    while (buf.length >= 2) {
      const len = buf.readUInt16BE(0);
      if (len > MAX_TCP_QUERY) {
        socket.destroy();
        return;
      }
      if (buf.length < 2 + len) break;
      const reply = answer(buf.subarray(2, 2 + len));
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
