// The SOCKS5 proxy (RFC 1928, CONNECT only; RFC 1929 user/password when a credential is set).
// A hand-written state machine over a small buffer, so that bytes may arrive one at a time;
// once the request is answered the socket is handed to the shared tunnel and this code is gone
// from the data path.

import * as net from 'node:net';
import { canonicalizeHost, isHostProblem } from '../policy';
import type { ProxyContext } from './context';
import { credentialMatches } from './credential';
import { ConnectionTracker, makeProxyServer } from './server';
import type { Admission, ProxyServer } from './server';
import { recordDenied, shownTarget, startAttempt, type Refusal } from './attempt';
import { openTunnel } from './tunnel';

// Reply codes (RFC 1928 section 6).
const REP = {
  ok: 0x00,
  failure: 0x01,
  notAllowed: 0x02,
  hostUnreachable: 0x04,
  connectionRefused: 0x05,
  commandNotSupported: 0x07,
  addressTypeNotSupported: 0x08,
} as const;

const CMD_CONNECT = 0x01;
const ATYP_IPV4 = 0x01;
const ATYP_DOMAIN = 0x03;
const ATYP_IPV6 = 0x04;

export function createSocksProxy(ctx: ProxyContext): ProxyServer {
  const tracker = new ConnectionTracker(ctx.limits.maxConnections);
  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    const admission = tracker.admit(socket);
    if (admission !== 'dropped') handshake(ctx, tracker, socket, admission);
  });
  return makeProxyServer(server, tracker);
}

type State = 'greeting' | 'auth' | 'request';

function handshake(ctx: ProxyContext, tracker: ConnectionTracker, socket: net.Socket, admission: Admission): void {
  let state: State = 'greeting';
  let buf: Buffer = Buffer.alloc(0);

  // A deadline for the whole handshake, not an idle timeout: a client trickling one byte at a
  // time would otherwise hold its slot for (handshake bytes x timeout).
  const deadline = setTimeout(() => void socket.destroy(), ctx.limits.handshakeTimeoutMs);
  // A client that half-closes before its request is done will never finish it.
  const onEnd = (): void => void socket.destroy();
  const onClose = (): void => clearTimeout(deadline);
  const onData = (chunk: Buffer): void => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    while (!socket.destroyed && step());
  };
  socket.on('end', onEnd);
  socket.on('data', onData);
  socket.once('close', onClose);

  const stop = (): void => {
    socket.removeListener('data', onData);
    socket.removeListener('end', onEnd);
    socket.removeListener('close', onClose);
    clearTimeout(deadline);
    // Removing the data listener does not pause a flowing stream; bytes sent early must wait.
    socket.pause();
  };
  const answerAndClose = (bytes: number[]): void => {
    stop();
    socket.end(Buffer.from(bytes));
    socket.resume();
    socket.setTimeout(5_000, () => socket.destroy());
  };
  const reply = (code: number): Buffer => Buffer.from([0x05, code, 0x00, ATYP_IPV4, 0, 0, 0, 0, 0, 0]);

  /** Consume one message from buf if it is complete; false when more bytes are needed. */
  const step = (): boolean => {
    if (state === 'greeting') {
      if (buf.length < 1) return false;
      // SOCKS4/4a, HTTP, TLS...: not ours to answer.
      if (buf[0] !== 0x05) return void socket.destroy(), false;
      if (buf.length < 2 || buf.length < 2 + buf[1]) return false;
      const methods = buf.subarray(2, 2 + buf[1]);
      buf = buf.subarray(2 + buf[1]);
      const want = ctx.credential ? 0x02 : 0x00;
      if (!methods.includes(want)) return answerAndClose([0x05, 0xff]), false;
      socket.write(Buffer.from([0x05, want]));
      state = want === 0x02 ? 'auth' : 'request';
      return true;
    }

    if (state === 'auth') {
      if (buf.length < 1) return false;
      if (buf[0] !== 0x01) return void socket.destroy(), false;
      if (buf.length < 2) return false;
      const ulen = buf[1];
      if (buf.length < 3 + ulen) return false;
      const plen = buf[2 + ulen];
      if (buf.length < 3 + ulen + plen) return false;
      const user = buf.toString('utf8', 2, 2 + ulen);
      const pass = buf.toString('utf8', 3 + ulen, 3 + ulen + plen);
      buf = buf.subarray(3 + ulen + plen);
      if (!credentialMatches(ctx, user, pass)) return answerAndClose([0x01, 0x01]), false;
      socket.write(Buffer.from([0x01, 0x00]));
      state = 'request';
      return true;
    }

    // state === 'request': VER CMD RSV ATYP DST.ADDR DST.PORT
    if (buf.length < 1) return false;
    if (buf[0] !== 0x05) return void socket.destroy(), false;
    if (buf.length < 4) return false;
    const cmd = buf[1];
    const atyp = buf[3];
    let rawHost: string;
    let end: number;
    if (atyp === ATYP_IPV4) {
      end = 4 + 4;
      if (buf.length < end + 2) return false;
      rawHost = `${buf[4]}.${buf[5]}.${buf[6]}.${buf[7]}`;
    } else if (atyp === ATYP_IPV6) {
      end = 4 + 16;
      if (buf.length < end + 2) return false;
      const groups: string[] = [];
      for (let i = 4; i < end; i += 2) groups.push(buf.readUInt16BE(i).toString(16));
      rawHost = groups.join(':');
    } else if (atyp === ATYP_DOMAIN) {
      if (buf.length < 5) return false;
      end = 5 + buf[4];
      if (buf.length < end + 2) return false;
      // latin1 keeps every byte as one character, so NUL and control bytes reach the
      // canonicalizer as themselves and are refused there.
      rawHost = buf.toString('latin1', 5, end);
    } else {
      if (admission === 'refuse') return answerAndClose([...reply(REP.failure)]), false;
      recordDenied(ctx, startAttempt('socks5', '', 0), { reason: 'malformed', message: `SOCKS5 address type ${atyp} is unknown (1 IPv4, 3 a name, 4 IPv6)` });
      return answerAndClose([...reply(REP.addressTypeNotSupported)]), false;
    }
    const port = buf.readUInt16BE(end);
    const early = buf.subarray(end + 2);
    buf = Buffer.alloc(0);
    stop();
    if (admission === 'refuse') return answerAndClose([...reply(REP.failure)]), false;

    const canon = canonicalizeHost(rawHost);
    const host = isHostProblem(canon) ? rawHost : canon.host;
    const a = startAttempt('socks5', host, port);
    if (cmd !== CMD_CONNECT) {
      recordDenied(ctx, a, { reason: 'unsupported', message: `${shownTarget(a)}: SOCKS5 command ${cmd} is not supported, only CONNECT (1)` });
      return answerAndClose([...reply(REP.commandNotSupported)]), false;
    }
    if (isHostProblem(canon) || port === 0) {
      recordDenied(ctx, a, {
        reason: 'malformed',
        message: `${shownTarget(a)}: ${isHostProblem(canon) ? `the SOCKS5 target is malformed: ${canon.problem}` : 'the SOCKS5 target has port 0'}`,
      });
      return answerAndClose([...reply(REP.notAllowed)]), false;
    }
    openTunnel(ctx, tracker, a, canon.kind, socket, { reply: reply(REP.ok), head: early }).then(
      (opened) => {
        if (opened.kind === 'gone') return void socket.destroy();
        if (opened.kind === 'refused') return answerAndClose([...reply(refusalCode(opened.refusal))]);
      },
      () => socket.destroy(),
    );
    return false;
  };
}

function refusalCode(r: Refusal): number {
  switch (r.reason) {
    case 'resolve-failed':
      return REP.hostUnreachable;
    case 'upstream-failed':
      return r.code === 'ECONNREFUSED' ? REP.connectionRefused : REP.hostUnreachable;
    case 'over-limit':
      // As for maxConnections: a failure of the server, not a ruling on the target.
      return REP.failure;
    default:
      return REP.notAllowed;
  }
}
