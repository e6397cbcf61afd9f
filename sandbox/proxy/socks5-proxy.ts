// The SOCKS5 proxy (RFC 1928, CONNECT only; RFC 1929 user/password when a credential is set).
// A state machine over a small buffer, so that bytes may arrive one at a time; the messages are
// read by socks5-message.ts. Once the request is answered the socket is handed to the shared
// tunnel and this code is gone from the data path.

import * as net from 'node:net';
import { canonicalizeHost, isHostProblem } from '../policy';
import type { ProxyContext } from './context';
import { credentialMatches } from './credential';
import { ConnectionTracker, makeProxyServer } from './server';
import type { Admission, ProxyServer } from './server';
import { recordDenied, shownTarget, startAttempt, type Refusal } from './attempt';
import { openTunnel } from './tunnel';
import {
  authStatus, CMD_CONNECT, methodSelection, METHOD_NONE, METHOD_USER_PASSWORD, parseAuth, parseGreeting, parseRequest, REP, reply,
} from './socks5-message';

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
  const answerAndClose = (bytes: Buffer): void => {
    stop();
    socket.end(bytes);
    socket.resume();
    socket.setTimeout(5_000, () => socket.destroy());
  };
  /** Consume one message from buf if it is complete; false when more bytes are needed. */
  const step = (): boolean => {
    if (state === 'greeting') {
      const g = parseGreeting(buf);
      if (g.kind === 'incomplete') return false;
      if (g.kind === 'foreign') return void socket.destroy(), false; // SOCKS4/4a, HTTP, TLS...: not ours to answer
      buf = g.rest;
      const want = ctx.credential ? METHOD_USER_PASSWORD : METHOD_NONE;
      if (!g.methods.includes(want)) return answerAndClose(methodSelection(0xff)), false;
      socket.write(methodSelection(want));
      state = want === METHOD_USER_PASSWORD ? 'auth' : 'request';
      return true;
    }

    if (state === 'auth') {
      const m = parseAuth(buf);
      if (m.kind === 'incomplete') return false;
      if (m.kind === 'foreign') return void socket.destroy(), false;
      buf = m.rest;
      if (!credentialMatches(ctx, m.user, m.password)) return answerAndClose(authStatus(false)), false;
      socket.write(authStatus(true));
      state = 'request';
      return true;
    }

    const r = parseRequest(buf);
    if (r.kind === 'incomplete') return false;
    if (r.kind === 'foreign') return void socket.destroy(), false;
    if (r.kind === 'unknown-address-type') {
      if (admission === 'refuse') return answerAndClose(reply(REP.failure)), false;
      recordDenied(ctx, startAttempt('socks5', '', 0), { reason: 'malformed', message: `SOCKS5 address type ${r.atyp} is unknown (1 IPv4, 3 a name, 4 IPv6)` });
      return answerAndClose(reply(REP.addressTypeNotSupported)), false;
    }
    const { cmd, host: rawHost, port, rest: early } = r;
    buf = Buffer.alloc(0);
    stop();
    if (admission === 'refuse') return answerAndClose(reply(REP.failure)), false;

    const canon = canonicalizeHost(rawHost);
    const host = isHostProblem(canon) ? rawHost : canon.host;
    const a = startAttempt('socks5', host, port);
    if (cmd !== CMD_CONNECT) {
      recordDenied(ctx, a, { reason: 'unsupported', message: `${shownTarget(a)}: SOCKS5 command ${cmd} is not supported, only CONNECT (1)` });
      return answerAndClose(reply(REP.commandNotSupported)), false;
    }
    if (isHostProblem(canon) || port === 0) {
      recordDenied(ctx, a, {
        reason: 'malformed',
        message: `${shownTarget(a)}: ${isHostProblem(canon) ? `the SOCKS5 target is malformed: ${canon.problem}` : 'the SOCKS5 target has port 0'}`,
      });
      return answerAndClose(reply(REP.notAllowed)), false;
    }
    openTunnel(ctx, tracker, a, canon.kind, socket, { reply: reply(REP.ok), head: early }).then(
      (opened) => {
        if (opened.kind === 'gone') return void socket.destroy();
        if (opened.kind === 'refused') return answerAndClose(reply(refusalCode(opened.refusal)));
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
