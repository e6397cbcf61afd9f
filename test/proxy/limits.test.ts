// Limits and lifetime: maxConnections, timeouts, and a close() that leaves nothing behind.

import * as net from 'node:net';
import {
  Client, allowedRecords, atypDomain, connectTunnel, curl, deniedRecords, sleep, socksConnect, startHttpUpstream,
  startPair, startServers, startTcpUpstream, waitFor,
} from './helpers';
import type { Seen, Upstream } from './helpers';

type Tcp = Upstream & { received: () => string };

let echo: Tcp;
let httpUp: Upstream & { seen: Seen[] };

beforeAll(async () => {
  echo = await startTcpUpstream('echo');
  httpUp = await startHttpUpstream();
});

afterAll(async () => {
  await Promise.all([echo.close(), httpUp.close()]);
});

const ALLOW = ['api.example.test', '127.0.0.1/32'];

test('maxConnections on the HTTP proxy: 503 beyond it, and the proxy stays responsive', async () => {
  const s = await startServers({ networkAllowlist: ALLOW, limits: { maxConnections: 2 } });
  try {
    const t1 = await connectTunnel(s.httpPort, `api.example.test:${echo.port}`);
    const t2 = await connectTunnel(s.httpPort, `api.example.test:${echo.port}`);
    expect(s.http.active()).toBe(2);

    const over = await Client.connect(s.httpPort);
    over.write(`CONNECT api.example.test:${echo.port} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await over.waitEnd();
    expect(over.text()).toMatch(/^HTTP\/1\.1 503 /);
    over.destroy();
    // The refused one is not a connection record.
    expect(deniedRecords(s.ctx)).toEqual([]);

    // The live tunnels still work.
    t1.write('one');
    await t1.readUntil('one');

    // curl (absolute-form) is refused too while full.
    const r = await curl(['-x', `http://127.0.0.1:${s.httpPort}`, '-o', '/dev/null', '-w', '%{http_code}', `http://api.example.test:${httpUp.port}/`]);
    expect(r.stdout).toBe('503');

    // Free a slot: a new tunnel is accepted again.
    t2.destroy();
    await waitFor(() => s.http.active() === 1, 5_000, 'active to drop');
    const t3 = await connectTunnel(s.httpPort, `api.example.test:${echo.port}`);
    t3.write('three');
    await t3.readUntil('three');
    t1.destroy();
    t3.destroy();
    await waitFor(() => s.http.active() === 0, 5_000, 'active to reach 0');
  } finally {
    await Promise.all([s.http.close(), s.socks.close()]);
  }
});

test('maxConnections on the SOCKS proxy: reply 0x01 beyond it, and the proxy stays responsive', async () => {
  const s = await startServers({ networkAllowlist: ALLOW, limits: { maxConnections: 2 } });
  try {
    const a = await socksConnect(s.socksPort, atypDomain('api.example.test'), echo.port);
    const b = await socksConnect(s.socksPort, atypDomain('api.example.test'), echo.port);
    expect([a.rep, b.rep]).toEqual([0, 0]);
    expect(s.socks.active()).toBe(2);

    const over = await socksConnect(s.socksPort, atypDomain('api.example.test'), echo.port);
    expect(over.rep).toBe(1);
    await over.c.waitEnd();
    over.c.destroy();
    expect(deniedRecords(s.ctx)).toEqual([]);

    a.c.destroy();
    await waitFor(() => s.socks.active() === 1, 5_000, 'active to drop');
    const c = await socksConnect(s.socksPort, atypDomain('api.example.test'), echo.port);
    expect(c.rep).toBe(0);
    c.c.write('again');
    await c.c.readUntil('again');
    b.c.destroy();
    c.c.destroy();
  } finally {
    await Promise.all([s.http.close(), s.socks.close()]);
  }
});

test('close() destroys every socket on both sides, records live tunnels, and stops listening', async () => {
  const up = await startTcpUpstream('echo');
  const s = await startServers({ networkAllowlist: ALLOW });
  try {
    const h = await connectTunnel(s.httpPort, `api.example.test:${up.port}`);
    h.write('abc');
    await h.readUntil('abc');
    const k = await socksConnect(s.socksPort, atypDomain('api.example.test'), up.port);
    k.c.write('defg');
    await k.c.readUntil('defg');
    // A half-open handshake and a half-sent request head.
    const hs = await Client.connect(s.socksPort);
    hs.write(Buffer.from([5, 1]));
    const head = await Client.connect(s.httpPort);
    head.write('GET http://api.example.test/ HTTP/1.1\r\nHos');
    await waitFor(() => s.http.active() === 2 && s.socks.active() === 2, 5_000, 'all connections accepted');
    expect(up.open()).toBe(2);

    await Promise.all([s.http.close(), s.socks.close()]);

    expect(s.http.active()).toBe(0);
    expect(s.socks.active()).toBe(0);
    expect(s.http.server.listening).toBe(false);
    expect(s.socks.server.listening).toBe(false);
    await waitFor(() => up.open() === 0, 5_000, 'upstream sockets to close');
    for (const c of [h, k.c, hs, head]) await c.waitEnd();

    // Tunnels ended by close() are still on the record, with their bytes.
    const recs = allowedRecords(s.ctx);
    expect(recs.map((r) => [r.proxy, r.bytesUp]).sort()).toEqual([['http', 3], ['socks5', 4]]);

    await expect(
      new Promise((resolve, reject) => net.connect(s.httpPort, '127.0.0.1', () => resolve('connected')).on('error', reject)),
    ).rejects.toThrow(/ECONNREFUSED/);
  } finally {
    await up.close();
  }
});

test('the proxy pair closes both proxies', async () => {
  const p = await startPair({ networkAllowlist: ALLOW });
  const t = await connectTunnel(p.httpPort, `api.example.test:${echo.port}`);
  const k = await socksConnect(p.socksPort, atypDomain('api.example.test'), echo.port);
  await p.pair.close();
  await t.waitEnd();
  await k.c.waitEnd();
  await waitFor(() => allowedRecords(p.ctx).length === 2, 5_000, 'records');
  const refusedHttp = await new Promise((r) => net.connect(p.httpPort, '127.0.0.1').on('error', (e) => r(e.message)));
  const refusedSocks = await new Promise((r) => net.connect(p.socksPort, '127.0.0.1').on('error', (e) => r(e.message)));
  expect(String(refusedHttp)).toMatch(/ECONNREFUSED/);
  expect(String(refusedSocks)).toMatch(/ECONNREFUSED/);
});

test('an idle tunnel is closed after idleTimeoutMs; traffic keeps it alive', async () => {
  const s = await startServers({ networkAllowlist: ALLOW, limits: { idleTimeoutMs: 400 } });
  try {
    const busy = await connectTunnel(s.httpPort, `api.example.test:${echo.port}`);
    const idle = await connectTunnel(s.httpPort, `api.example.test:${echo.port}`);
    const t0 = Date.now();
    // Keep one busy for longer than the idle timeout.
    for (let i = 0; i < 8; i++) {
      busy.write('.');
      await busy.readUntil('.');
      await sleep(100);
    }
    await idle.waitEnd(2_000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(350);
    expect(busy.ended).toBe(false);
    busy.destroy();
    idle.destroy();
    await waitFor(() => allowedRecords(s.ctx).length === 2, 5_000, 'records');
  } finally {
    await Promise.all([s.http.close(), s.socks.close()]);
  }
});

test('a slow SOCKS handshake is cut at handshakeTimeoutMs', async () => {
  const s = await startServers({ networkAllowlist: ALLOW, limits: { handshakeTimeoutMs: 300 } });
  try {
    const c = await Client.connect(s.socksPort);
    c.write(Buffer.from([5, 1, 0]));
    await c.read(2);
    c.write(Buffer.from([5, 1])); // and nothing more
    const t0 = Date.now();
    await c.waitEnd(3_000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(200);
    c.destroy();
    await waitFor(() => s.socks.active() === 0, 5_000, 'no connection left');
  } finally {
    await Promise.all([s.http.close(), s.socks.close()]);
  }
});

test('a slow HTTP head is cut at headersTimeoutMs, but a CONNECT tunnel outlives it', async () => {
  const s = await startServers({ networkAllowlist: ALLOW, limits: { headersTimeoutMs: 300 } });
  try {
    const tunnel = await connectTunnel(s.httpPort, `api.example.test:${echo.port}`);
    const slow = await Client.connect(s.httpPort);
    slow.write('GET http://api.example.test/ HTTP/1.1\r\n');
    await slow.waitEnd(3_000);
    expect(slow.text()).toMatch(/^HTTP\/1\.1 408 /);
    slow.destroy();
    await sleep(500);
    tunnel.write('still here');
    await tunnel.readUntil('still here');
    tunnel.destroy();
  } finally {
    await Promise.all([s.http.close(), s.socks.close()]);
  }
});

test('an oversized request head gets 431', async () => {
  const s = await startServers({ networkAllowlist: ALLOW, limits: { maxHeaderBytes: 1024 } });
  try {
    const c = await Client.connect(s.httpPort);
    c.write(`GET http://api.example.test/ HTTP/1.1\r\nX-Big: ${'a'.repeat(4000)}\r\n\r\n`);
    await c.waitEnd();
    expect(c.text()).toMatch(/^HTTP\/1\.1 431 /);
    c.destroy();
  } finally {
    await Promise.all([s.http.close(), s.socks.close()]);
  }
});

test('a client leaving mid-tunnel ends the upstream side too', async () => {
  const up = await startTcpUpstream('echo');
  const s = await startServers({ networkAllowlist: ALLOW });
  try {
    const t = await connectTunnel(s.httpPort, `api.example.test:${up.port}`);
    t.write('x');
    await t.readUntil('x');
    expect(up.open()).toBe(1);
    t.socket.resetAndDestroy();
    await waitFor(() => up.open() === 0, 5_000, 'upstream to close');
    await waitFor(() => s.http.active() === 0, 5_000, 'client gone');
    await waitFor(() => allowedRecords(s.ctx).length === 1, 5_000, 'record');
  } finally {
    await Promise.all([s.http.close(), s.socks.close()]);
    await up.close();
  }
});

/** A listener whose accept queue is full: further SYNs go unanswered, so a dial hangs. */
async function blackhole(): Promise<{ port: number; stop(): void }> {
  const { spawn } = await import('node:child_process');
  const py = spawn('python3', [
    '-c',
    'import socket,sys,time\n' +
      "l=socket.socket();l.bind(('127.0.0.1',0));l.listen(0)\n" +
      "c=socket.socket();c.connect(('127.0.0.1',l.getsockname()[1]))\n" +
      'print(l.getsockname()[1],flush=True)\ntime.sleep(60)\n',
  ]);
  const port = await new Promise<number>((resolve, reject) => {
    py.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    py.once('error', reject);
  });
  return { port, stop: () => void py.kill() };
}

test('an upstream that never answers the dial: upstream-failed after connectTimeoutMs', async () => {
  const hole = await blackhole();
  const s = await startServers({ networkAllowlist: ALLOW, limits: { connectTimeoutMs: 300 } });
  try {
    const t0 = Date.now();
    const c = await Client.connect(s.httpPort);
    c.write(`CONNECT api.example.test:${hole.port} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await c.waitEnd(5_000);
    expect(c.text()).toMatch(/^HTTP\/1\.1 502 /);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    c.destroy();
    const k = await Client.connect(s.socksPort);
    k.write(Buffer.concat([Buffer.from([5, 1, 0, 5, 1, 0]), atypDomain('api.example.test'), Buffer.from([hole.port >> 8, hole.port & 255])]));
    await k.read(2);
    expect((await k.read(10))[1]).toBe(4);
    k.destroy();
    expect(deniedRecords(s.ctx).map((r) => [r.proxy, r.reason, r.address])).toEqual([
      ['http', 'upstream-failed', '127.0.0.1'],
      ['socks5', 'upstream-failed', '127.0.0.1'],
    ]);
  } finally {
    hole.stop();
    await Promise.all([s.http.close(), s.socks.close()]);
  }
});
