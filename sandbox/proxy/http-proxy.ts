// The HTTP proxy: CONNECT tunnels and absolute-form http:// requests. node:http parses (so
// header limits and the head timeout are its well-tested code); everything after the head is
// ours: the target is parsed and canonicalized here, decided by the policy, and dialed at the
// address that passed. Nothing else (origin-form, other schemes, Upgrade) is proxied.
// Pipelined requests are served one at a time (pipeline.ts).

import * as http from 'node:http';
import type * as net from 'node:net';
import { canonicalizeHost, formatHostPort, isHostProblem, splitHostPort } from '../policy';
import type { HostKind } from '../policy';
import { pendingResponse } from '../node-internals';
import type { ConnectionEnd, RefusalReason } from '../types';
import type { ProxyContext } from './context';
import { basicAuthMatches } from './credential';
import { RequestLine } from './pipeline';
import { ConnectionTracker, makeProxyServer, noop } from './server';
import type { ProxyServer } from './server';
import { recordAllowed, recordDenied, shownTarget, startAttempt, type Attempt, type Refusal } from './attempt';
import { openTunnel, openUpstream } from './tunnel';

/** Request headers that belong to the client-proxy hop (RFC 9110 7.6.1), plus Host, rebuilt. */
const REQUEST_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'upgrade', 'host',
]);
/** Response headers of the proxy-upstream hop; node re-frames the body for the client. */
const RESPONSE_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'te', 'trailer', 'upgrade',
  'transfer-encoding',
]);

const STATUS_FOR: Record<RefusalReason, number> = {
  denylisted: 403,
  'not-allowlisted': 403,
  'internal-address': 403,
  malformed: 400,
  unsupported: 501,
  'resolve-failed': 502,
  'upstream-failed': 502,
  'over-limit': 503,
};

type RequestTarget = { host: string; kind: HostKind; port: number };

export function createHttpProxy(ctx: ProxyContext): ProxyServer {
  const limits = ctx.limits;
  const tracker = new ConnectionTracker(limits.maxConnections);
  const budget = ctx.budget;
  const lines = new WeakMap<net.Socket, RequestLine>();
  const server = http.createServer({
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: 0,
    // node checks the head timeout on this interval; its default (30 s) is coarser than the limit.
    connectionsCheckingInterval: Math.max(100, Math.min(5_000, Math.floor(limits.headersTimeoutMs / 4))),
    noDelay: true,
  });
  // A client that half-closes after its last request still gets the answers (node would end the
  // connection at once); node ends it after the last response instead.
  (server as unknown as { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  server.on('connection', (socket: net.Socket) => tracker.admit(socket));
  server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    onConnect(ctx, tracker, req, socket, head).catch(() => socket.destroy());
  });
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const socket = req.socket;
    // Requests parsed after their connection was given up on (in the same read).
    if (socket.destroyed) return;
    let line = lines.get(socket);
    if (!line) lines.set(socket, (line = new RequestLine(socket, budget)));
    const serve = (): Promise<void> => onRequest(ctx, tracker, req, res);
    if (!line.add(req, res, serve)) refuseWaiting(ctx, req);
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket) => {
    onUpgrade(ctx, tracker, req, socket).catch(() => socket.destroy());
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => {
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    if (socket.writable && !pendingResponse(socket)) {
      // A head node's parser refuses (smuggling shapes, bad bytes) is a malformed request: say so
      // as every other refusal does. No record: there is no target, and no credential was checked.
      endRaw(socket, status, status === 400 ? { 'X-Sandbox-Refusal': 'malformed' } : {}, `temporal-sandbox: ${http.STATUS_CODES[status]}\n`);
    } else socket.destroy();
  });
  return makeProxyServer(server, tracker);
}

// ---- CONNECT ----------------------------------------------------------------------------

async function onConnect(
  ctx: ProxyContext,
  tracker: ConnectionTracker,
  req: http.IncomingMessage,
  socket: net.Socket,
  head: Buffer,
): Promise<void> {
  await afterPendingResponses(socket);
  if (socket.destroyed) return;
  if (tracker.isRefusing(socket)) return endRaw(socket, 503, {}, 'temporal-sandbox: too many connections\n');
  if (!basicAuthMatches(ctx, req.headers['proxy-authorization'])) return endRaw(socket, 407, AUTH_HEADERS, AUTH_BODY);

  const raw = req.url ?? '';
  const split = splitHostPort(raw);
  if (isHostProblem(split)) return refuseRaw(ctx, socket, startAttempt('http', raw, 0), 'malformed', `the CONNECT target is malformed: ${split.problem}`);
  const canon = canonicalizeHost(split.host);
  if (isHostProblem(canon)) {
    const a = startAttempt('http', split.host, split.port);
    return refuseRaw(ctx, socket, a, 'malformed', `${shownTarget(a)}: the CONNECT target is malformed: ${canon.problem}`);
  }

  const a = startAttempt('http', canon.host, split.port);
  const opened = await openTunnel(ctx, tracker, a, canon.kind, socket, { reply: CONNECT_OK, head });
  if (opened.kind === 'gone') return void socket.destroy();
  if (opened.kind === 'refused') return endRaw(socket, STATUS_FOR[opened.refusal.reason], refusalHeaders(opened.refusal), refusalBody(opened.refusal));
}

const CONNECT_OK = Buffer.from('HTTP/1.1 200 Connection Established\r\n\r\n');

// ---- absolute-form requests -------------------------------------------------------------

/**
 * A pipelined request that would take the run past maxBufferedBytes. It cannot be answered before
 * the requests ahead of it, and reading on would only buffer more: the connection is closed (what
 * is in flight on it ends, and is recorded as it ends).
 */
function refuseWaiting(ctx: ProxyContext, req: http.IncomingMessage): void {
  // An unauthenticated client leaves no record (the host-loopback case: anyone local may connect).
  if (basicAuthMatches(ctx, req.headers['proxy-authorization'])) {
    const parsed = parseRequestTarget(req.url ?? '', req.headers.host);
    const a =
      parsed.kind === 'http'
        ? startAttempt('http', parsed.target.host, parsed.target.port)
        : startAttempt('http', parsed.host, parsed.port);
    recordDenied(ctx, a, {
      reason: 'over-limit',
      rule: 'maxBufferedBytes',
      message: `${shownTarget(a)}: pipelined requests waiting their turn would pass maxBufferedBytes (${ctx.limits.maxBufferedBytes} bytes); the connection is closed`,
    });
  }
  req.socket.destroy();
}

/** One request, in its turn; resolves when its exchange is over (recorded, upstream closed). */
async function onRequest(
  ctx: ProxyContext,
  tracker: ConnectionTracker,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  if (tracker.isRefusing(req.socket)) return sendRes(res, 503, {}, 'temporal-sandbox: too many connections\n');
  if (!basicAuthMatches(ctx, req.headers['proxy-authorization'])) return sendRes(res, 407, AUTH_HEADERS, AUTH_BODY);

  const parsed = parseRequestTarget(req.url ?? '', req.headers.host);
  if (parsed.kind !== 'http') {
    const a = startAttempt('http', parsed.host, parsed.port);
    const reason: RefusalReason = parsed.kind === 'malformed' ? 'malformed' : 'unsupported';
    const message =
      `${shownTarget(a)}: ` +
      (parsed.kind === 'malformed'
        ? 'the request target is malformed (an http:// URL with a host, an optional port, and no userinfo)'
        : parsed.kind === 'origin-form'
          ? 'a proxy needs the absolute form (GET http://host/path) or CONNECT, not a bare path'
          : 'only http:// is proxied this way; use CONNECT for https:// and anything else');
    recordDenied(ctx, a, { reason, message });
    // Origin-form is a client error towards a proxy; another scheme is a feature we do not have.
    const status = parsed.kind === 'origin-form' ? 400 : STATUS_FOR[reason];
    return sendRes(res, status, { 'X-Sandbox-Refusal': reason }, refusalBody({ message }));
  }

  const a = startAttempt('http', parsed.target.host, parsed.target.port);
  const opened = await openUpstream(ctx, tracker, a, parsed.target.kind, req.socket);
  if (opened.kind === 'gone') return void res.destroy();
  if (opened.kind === 'refused') {
    return sendRes(res, STATUS_FOR[opened.refusal.reason], refusalHeaders(opened.refusal), refusalBody(opened.refusal));
  }
  return forward(ctx, tracker, a, req, res, opened, parsed.target, parsed.path);
}

/** Send one request over the dialed socket and stream both bodies; record when it is over. */
function forward(
  ctx: ProxyContext,
  tracker: ConnectionTracker,
  a: Attempt,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  opened: { upstream: net.Socket; address: string; rule?: string },
  target: RequestTarget,
  path: string,
): Promise<void> {
  const { upstream } = opened;
  const headers: string[] = ['Host', authorityFor(target)];
  const named = connectionTokens(req.headers.connection);
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i].toLowerCase();
    if (!REQUEST_HOP.has(k) && !named.has(k)) headers.push(raw[i], raw[i + 1]);
  }

  let bytesUp = 0;
  let bytesDown = 0;
  let recorded = false;
  let ended: ConnectionEnd = 'closed';
  // Over once recorded and its upstream socket closed: the connection's next request dials only
  // then, so that it never has two upstreams (nor holds two of the run's slots).
  let halfOver: () => void = noop;
  const over = new Promise<void>((resolve) => {
    let n = 0;
    halfOver = (): void => void (++n === 2 && resolve());
  });
  upstream.once('close', () => halfOver());
  const finish = (): void => {
    if (recorded) return;
    recorded = true;
    upstream.destroy();
    // The answer cut short: by the run's end, or by a client that left.
    if (ended === 'closed' && !res.writableFinished) ended = tracker.cutShort;
    recordAllowed(ctx, a, opened, bytesUp, bytesDown, ended);
    halfOver();
  };

  let upReq: http.ClientRequest;
  try {
    upReq = http.request({
      method: req.method,
      path,
      headers,
      setHost: false,
      createConnection: () => upstream,
    });
  } catch (err) {
    // node refuses some request lines (characters it will not send); nothing was sent.
    upstream.destroy();
    const r = { reason: 'malformed' as const, address: opened.address, rule: opened.rule, message: `${shownTarget(a)}: the request has characters that cannot be sent upstream` };
    recordDenied(ctx, a, r);
    sendRes(res, 400, { 'X-Sandbox-Refusal': 'malformed' }, refusalBody(r));
    return Promise.resolve();
  }
  // An upstream that stops answering must not hold the request forever (node's server has no
  // request timeout here: bodies may legitimately be slow, so this is an idle limit, not a total).
  upstream.setTimeout(ctx.limits.idleTimeoutMs);
  upstream.once('timeout', () => {
    ended = 'idle';
    upstream.destroy();
  });
  upReq.on('error', () => {
    if (recorded) return;
    if (ended === 'closed') ended = tracker.cutShort;
    if (!res.headersSent) sendRes(res, 502, {}, `temporal-sandbox: upstream ${formatHostPort(opened.address, a.port)} failed\n`);
    else res.destroy();
    finish();
  });
  upReq.on('response', (upRes: http.IncomingMessage) => {
    const out: string[] = [];
    const named = connectionTokens(upRes.headers.connection);
    const rh = upRes.rawHeaders;
    for (let i = 0; i < rh.length; i += 2) {
      const k = rh[i].toLowerCase();
      if (!RESPONSE_HOP.has(k) && !named.has(k)) out.push(rh[i], rh[i + 1]);
    }
    res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, out);
    upRes.on('data', (c: Buffer) => (bytesDown += c.length));
    upRes.on('error', () => res.destroy());
    upRes.pipe(res);
  });
  req.on('data', (c: Buffer) => (bytesUp += c.length));
  req.pipe(upReq);
  // 'close' comes once the response is done or the client is gone: either way the exchange is over.
  res.once('close', finish);
  return over;
}

type ParsedTarget =
  | { kind: 'http'; target: RequestTarget; path: string }
  | { kind: 'origin-form' | 'other-scheme' | 'malformed'; host: string; port: number };

/**
 * Parse the request target ourselves rather than with URL: its host parser is lenient in ways
 * the policy must not inherit (userinfo, backslashes); canonicalizeHost is the one authority.
 */
function parseRequestTarget(url: string, hostHeader: string | undefined): ParsedTarget {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/s.exec(url);
  if (!m) {
    // Origin-form (or '*'): there is no target in the request line; the Host header names one.
    const t = hostHeader ? splitTargetAuthority(hostHeader, 80) : null;
    return { kind: 'origin-form', host: t ? t.host : (hostHeader ?? ''), port: t ? t.port : 0 };
  }
  const scheme = m[1].toLowerCase();
  const authority = m[2];
  if (scheme !== 'http') {
    const t = splitTargetAuthority(authority, scheme === 'https' || scheme === 'wss' ? 443 : scheme === 'ws' ? 80 : undefined);
    return { kind: 'other-scheme', host: t ? t.host : authority, port: t ? t.port : 0 };
  }
  if (authority.includes('@')) return { kind: 'malformed', host: authority, port: 0 };
  const split = splitHostPort(authority, 80);
  if (isHostProblem(split)) return { kind: 'malformed', host: authority, port: 0 };
  const canon = canonicalizeHost(split.host);
  if (isHostProblem(canon)) return { kind: 'malformed', host: split.host, port: split.port };
  let path = m[3];
  const hash = path.indexOf('#');
  if (hash >= 0) path = path.slice(0, hash);
  if (path === '') path = '/';
  else if (path[0] === '?') path = '/' + path;
  return { kind: 'http', target: { host: canon.host, kind: canon.kind, port: split.port }, path };
}

/** Best-effort canonical host and port of a target we refuse anyway, for its record. */
function splitTargetAuthority(authority: string, defaultPort: number | undefined): { host: string; port: number } | null {
  const split = splitHostPort(authority, defaultPort);
  if (isHostProblem(split)) return null;
  const canon = canonicalizeHost(split.host);
  return { host: isHostProblem(canon) ? split.host : canon.host, port: split.port };
}

// ---- Upgrade ----------------------------------------------------------------------------

async function onUpgrade(ctx: ProxyContext, tracker: ConnectionTracker, req: http.IncomingMessage, socket: net.Socket): Promise<void> {
  await afterPendingResponses(socket);
  if (socket.destroyed) return;
  if (tracker.isRefusing(socket)) return endRaw(socket, 503, {}, 'temporal-sandbox: too many connections\n');
  if (!basicAuthMatches(ctx, req.headers['proxy-authorization'])) return endRaw(socket, 407, AUTH_HEADERS, AUTH_BODY);
  const parsed = parseRequestTarget(req.url ?? '', req.headers.host);
  const a =
    parsed.kind === 'http'
      ? startAttempt('http', parsed.target.host, parsed.target.port)
      : startAttempt('http', parsed.host, parsed.port);
  // A relayed upgrade would be a tunnel nobody decided on as one: refuse it outright.
  const r = { reason: 'unsupported' as const, message: `${shownTarget(a)}: protocol upgrades (websockets) are not relayed; use CONNECT` };
  recordDenied(ctx, a, r);
  endRaw(socket, 501, { 'X-Sandbox-Refusal': 'unsupported' }, refusalBody(r));
}

/**
 * A CONNECT or Upgrade pipelined behind requests still being answered on the same connection:
 * node hands us the socket at once, but those answers must reach the client first, or their
 * bytes would land after our status line, inside the tunnel (a desync).
 */
async function afterPendingResponses(socket: net.Socket): Promise<void> {
  const pending = (): http.ServerResponse | null | undefined => pendingResponse(socket);
  // Having let go of the socket, node no longer passes its 'drain' on to those answers: an answer
  // that met backpressure (a client reading slowly) would wait for it forever, and this with it.
  const relayDrain = (): void => void pending()?.emit('drain');
  socket.on('drain', relayDrain);
  try {
    for (;;) {
      const res = pending();
      if (!res || res.writableFinished || socket.destroyed) return;
      await new Promise<void>((resolve) => {
        res.once('finish', resolve);
        res.once('close', resolve);
      });
    }
  } finally {
    socket.removeListener('drain', relayDrain);
  }
}

// ---- answers ----------------------------------------------------------------------------

const AUTH_HEADERS = { 'Proxy-Authenticate': 'Basic realm="temporal-sandbox"' };
const AUTH_BODY = 'temporal-sandbox: proxy authentication required\n';

function refusalHeaders(r: Refusal): Record<string, string> {
  return { 'X-Sandbox-Refusal': r.reason };
}

/**
 * What the client reads: why, in the record's own words (every refusal's message names its
 * target); the reason is in the X-Sandbox-Refusal header. One printable line.
 */
function refusalBody(r: Pick<Refusal, 'message'>): string {
  return `temporal-sandbox: refused: ${r.message}\n`.replace(/[^\x20-\x7e\n]/g, '?');
}

function refuseRaw(ctx: ProxyContext, socket: net.Socket, a: Attempt, reason: RefusalReason, message: string): void {
  recordDenied(ctx, a, { reason, message });
  endRaw(socket, STATUS_FOR[reason], { 'X-Sandbox-Refusal': reason }, refusalBody({ message }));
}

/** Answer on a socket node:http has let go of (CONNECT, Upgrade, parse errors), then close. */
function endRaw(socket: net.Socket, status: number, headers: Record<string, string>, body: string): void {
  let head = `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\n`;
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
  head += `Content-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
  socket.on('error', noop);
  // Half-close and keep reading: destroying at once could reset the connection before the
  // client has read the answer. The client closes its side, or the timeout ends it.
  socket.end(head + body);
  socket.resume();
  socket.setTimeout(5_000, () => socket.destroy());
}

function sendRes(res: http.ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  if (res.headersSent) return void res.destroy();
  // A refused request ends its connection: its body (if any) was never read.
  res.shouldKeepAlive = false;
  res.writeHead(status, { ...headers, 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
  res.end(body);
}

/** The Host header: the canonical authority, without the scheme's default port. */
function authorityFor(t: RequestTarget): string {
  const hostPort = formatHostPort(t.host, t.port);
  return t.port === 80 ? hostPort.slice(0, hostPort.lastIndexOf(':')) : hostPort;
}

function connectionTokens(value: string | string[] | undefined): Set<string> {
  const out = new Set<string>();
  if (!value) return out;
  for (const v of Array.isArray(value) ? value : [value]) {
    for (const t of v.split(',')) {
      const k = t.trim().toLowerCase();
      if (k) out.add(k);
    }
  }
  return out;
}
