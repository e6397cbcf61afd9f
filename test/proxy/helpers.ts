// Shared test fixtures for the proxy tests: real upstream servers on loopback, a proxy pair
// with a real compiled policy and static resolver answers, and real clients (curl, sockets).

import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { compilePolicy } from '../../sandbox/policy';
import type { NetworkCeiling } from '../../sandbox/policy';
import { makeProxyContext } from '../../sandbox/proxy/context';
import { kernelRelay } from '../../sandbox/relay/kernel-relay';
import type { ProxyContext, ProxyLimits } from '../../sandbox/proxy/context';
import { createHttpProxy } from '../../sandbox/proxy/http-proxy';
import { startProxyPair } from '../../sandbox/proxy/proxy-pair';
import type { ProxyPair } from '../../sandbox/proxy/proxy-pair';
import type { ProxyServer } from '../../sandbox/proxy/server';
import { createSocksProxy } from '../../sandbox/proxy/socks5-proxy';
import type { AllowedRecord, DeniedRecord } from '../../sandbox/types';

export type ContextOptions = NetworkCeiling & {
  answers?: Record<string, string[]>;
  credential?: { username: string; password: string } | null;
  limits?: Partial<ProxyLimits>;
  /** Tunnels through the kernel relay, as a run's (the default), or through pipe() in this process. */
  relay?: boolean;
};

export const DEFAULT_ANSWERS: Record<string, string[]> = {
  'api.example.test': ['127.0.0.1'],
  'other.example.test': ['127.0.0.1'],
  'evil.example.test': ['127.0.0.1'],
  'v6.example.test': ['::1'],
  'nowhere.example.test': [],
};

export function makeContext(o: ContextOptions = {}): ProxyContext {
  const { answers, credential, limits, relay, ...ceiling } = o;
  return makeProxyContext({
    policy: compilePolicy({ networkMode: 'allowlist', ...ceiling }),
    answers: new Map(Object.entries(answers ?? DEFAULT_ANSWERS)),
    credential: credential ?? null,
    limits,
    relay: relay === false ? null : kernelRelay(),
  });
}

export type Proxies = { ctx: ProxyContext; pair: ProxyPair; httpUrl: string; socksPort: number; httpPort: number };

export async function startPair(o: ContextOptions = {}): Promise<Proxies> {
  const ctx = makeContext(o);
  const pair = await startProxyPair(ctx, { http: { host: '127.0.0.1', port: 0 }, socks: { host: '127.0.0.1', port: 0 } });
  return { ctx, pair, httpUrl: `http://127.0.0.1:${pair.httpPort}`, httpPort: pair.httpPort, socksPort: pair.socksPort };
}

/** The two servers on their own, for tests that look at active() and close(). */
export async function startServers(o: ContextOptions = {}): Promise<{
  ctx: ProxyContext;
  http: ProxyServer;
  socks: ProxyServer;
  httpPort: number;
  socksPort: number;
}> {
  const ctx = makeContext(o);
  const h = createHttpProxy(ctx);
  const s = createSocksProxy(ctx);
  const httpPort = await listenLoopback(h.server);
  const socksPort = await listenLoopback(s.server);
  return { ctx, http: h, socks: s, httpPort, socksPort };
}

export function listenLoopback(server: net.Server, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve((server.address() as net.AddressInfo).port));
  });
}

// ---- upstream servers --------------------------------------------------------------------

export type Upstream = {
  port: number;
  /** Sockets the upstream has seen that are not closed yet. */
  open(): number;
  accepted(): number;
  close(): Promise<void>;
};

function trackUpstream(server: net.Server, host: string): Promise<Upstream> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  server.on('connection', (s: net.Socket) => {
    accepted++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return listenLoopback(server, host).then((port) => ({
    port,
    open: () => sockets.size,
    accepted: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  }));
}

export type Seen = { method: string; url: string; headers: http.IncomingHttpHeaders; rawHeaders: string[]; body: string };

/** Answers every request with JSON describing what it received; records it in `seen`. */
export async function startHttpUpstream(host = '127.0.0.1'): Promise<Upstream & { seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s: Seen = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(s);
      if (req.url === '/big') {
        // A streamed response of known size, for byte counts.
        // Chunked on purpose: the proxy re-frames what it relays.
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'X-Hop': 'x', Connection: 'X-Hop' });
        res.write(Buffer.alloc(50_000, 0x61));
        res.end(Buffer.alloc(50_000, 0x61));
        return;
      }
      const body = JSON.stringify(s);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  const up = await trackUpstream(server, host);
  return Object.assign(up, { seen });
}

/**
 * A raw TCP upstream that shows half-close both ways:
 * - 'echo' mode: echoes; when the client half-closes, sends "bye:<bytes received>" then ends.
 * - 'first' mode: sends "hello" and half-closes at once, keeps reading; `received` collects.
 */
export async function startTcpUpstream(mode: 'echo' | 'first', host = '127.0.0.1'): Promise<Upstream & { received: () => string }> {
  let received = '';
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    s.on('error', () => {});
    if (mode === 'echo') {
      let n = 0;
      s.on('data', (c: Buffer) => {
        n += c.length;
        s.write(c);
      });
      s.on('end', () => s.end(`bye:${n}`));
    } else {
      s.end('hello');
      s.on('data', (c: Buffer) => (received += c.toString('latin1')));
      s.on('end', () => s.destroy());
    }
  });
  const up = await trackUpstream(server, host);
  return Object.assign(up, { received: () => received });
}

export type TlsFiles = { dir: string; cert: string; key: string };

/** A self-signed certificate for api.example.test, made now with openssl. */
export async function makeCert(): Promise<TlsFiles> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'proxy-test-tls-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  const r = await run('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
    '-subj', '/CN=api.example.test', '-addext', 'subjectAltName=DNS:api.example.test',
    '-keyout', key, '-out', cert,
  ]);
  if (r.code !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  return { dir, cert, key };
}

export async function startTlsUpstream(files: TlsFiles): Promise<Upstream> {
  const server = tls.createServer({ cert: fs.readFileSync(files.cert), key: fs.readFileSync(files.key) }, (s) => {
    s.on('error', () => {});
    let head = '';
    s.on('data', (c: Buffer) => {
      head += c.toString('latin1');
      if (head.includes('\r\n\r\n')) {
        const body = 'secure hello\n';
        s.end(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
      }
    });
  });
  // tls.Server emits 'connection' with the raw TCP sockets: those are the ones tracked.
  return trackUpstream(server, '127.0.0.1');
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = net.createServer();
  const port = await listenLoopback(s);
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

// ---- clients -----------------------------------------------------------------------------

export type RunOut = { code: number; stdout: string; stderr: string };

export function run(cmd: string, args: string[], timeoutMs = 20_000): Promise<RunOut> {
  return new Promise((resolve) => {
    // No proxy variables from the environment: every curl names its proxy explicitly.
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
    execFile(cmd, args, { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

export function curl(args: string[]): Promise<RunOut> {
  return run('curl', ['-sS', '--max-time', '15', ...args]);
}

/** A raw client socket with helpers to read what has arrived so far. */
export class Client {
  readonly socket: net.Socket;
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  ended = false;
  closed = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (c: Buffer) => {
      this.buf = Buffer.concat([this.buf, c]);
      this.wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static connect(port: number, host = '127.0.0.1'): Promise<Client> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host, allowHalfOpen: true }, () => resolve(new Client(s)));
      s.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  get data(): Buffer {
    return this.buf;
  }
  text(): string {
    return this.buf.toString('latin1');
  }

  /** Take the first n bytes (waiting for them). */
  async read(n: number, timeoutMs = 5_000): Promise<Buffer> {
    await this.until(() => this.buf.length >= n || this.closed || this.ended, timeoutMs);
    if (this.buf.length < n) throw new Error(`wanted ${n} bytes, connection ended with ${this.buf.length}`);
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** Wait for a string to appear; returns everything up to and including it, consumed. */
  async readUntil(marker: string, timeoutMs = 5_000): Promise<string> {
    await this.until(() => this.buf.includes(marker) || this.closed || this.ended, timeoutMs);
    const i = this.buf.indexOf(marker);
    if (i < 0) throw new Error(`'${marker}' never came; got ${JSON.stringify(this.text())}`);
    const out = this.buf.subarray(0, i + marker.length).toString('latin1');
    this.buf = this.buf.subarray(i + marker.length);
    return out;
  }

  async waitEnd(timeoutMs = 5_000): Promise<void> {
    await this.until(() => this.ended || this.closed, timeoutMs);
  }

  async waitClosed(timeoutMs = 5_000): Promise<void> {
    await this.until(() => this.closed, timeoutMs);
  }

  until(cond: () => boolean, timeoutMs: number): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out; have ${JSON.stringify(this.text().slice(0, 200))}`)), timeoutMs);
      const check = (): void => {
        if (cond()) {
          clearTimeout(t);
          resolve();
        } else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  write(b: Buffer | string): void {
    this.socket.write(b);
  }
  end(): void {
    this.socket.end();
  }
  destroy(): void {
    this.socket.destroy();
  }
}

/** Open a CONNECT tunnel on a raw socket; resolves with the client once 200 came. */
export async function connectTunnel(proxyPort: number, authority: string, extraHeaders = ''): Promise<Client> {
  const c = await Client.connect(proxyPort);
  c.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${extraHeaders}\r\n`);
  const head = await c.readUntil('\r\n\r\n');
  if (!head.startsWith('HTTP/1.1 200')) throw new Error(`CONNECT failed: ${head}`);
  return c;
}

/** SOCKS5 CONNECT on a raw socket (no auth); returns the client and the reply code. */
export async function socksConnect(port: number, atypAndAddr: Buffer, dstPort: number): Promise<{ c: Client; rep: number }> {
  const c = await Client.connect(port);
  c.write(Buffer.from([5, 1, 0]));
  const sel = await c.read(2);
  if (sel[0] !== 5 || sel[1] !== 0) throw new Error(`method selection ${sel.toString('hex')}`);
  const p = Buffer.alloc(2);
  p.writeUInt16BE(dstPort);
  c.write(Buffer.concat([Buffer.from([5, 1, 0]), atypAndAddr, p]));
  const rep = await c.read(10);
  return { c, rep: rep[1] };
}

export function atypDomain(name: string): Buffer {
  const b = Buffer.from(name, 'latin1');
  return Buffer.concat([Buffer.from([3, b.length]), b]);
}
export function atypIPv4(a: string): Buffer {
  return Buffer.from([1, ...a.split('.').map(Number)]);
}
export function atypIPv6Loopback(): Buffer {
  const b = Buffer.alloc(17);
  b[0] = 4;
  b[16] = 1;
  return b;
}

// ---- records -----------------------------------------------------------------------------

export async function waitFor<T>(fn: () => T | undefined | false, timeoutMs = 5_000, what = 'condition'): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function allowedRecords(ctx: ProxyContext): AllowedRecord[] {
  return ctx.log.snapshot().allowed;
}
export function deniedRecords(ctx: ProxyContext): DeniedRecord[] {
  return ctx.log.snapshot().denied;
}
export function waitAllowed(ctx: ProxyContext, n = 1): Promise<AllowedRecord[]> {
  return waitFor(() => (allowedRecords(ctx).length >= n ? allowedRecords(ctx) : undefined), 5_000, `${n} allowed record(s)`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
