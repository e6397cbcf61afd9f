// Limits the proxies must hold (completing test/proxy/limits.test.ts) and faults on either side of
// a tunnel: refused, reset and silent upstreams, aborting clients, half-closes, slow readers.

import * as net from 'node:net';
import { createSandboxRunner } from '../../sandbox';
import {
  Client, allowedRecords, atypDomain, closedPort, connectTunnel, deniedRecords, sleep, socksConnect, startServers,
  startTcpUpstream, waitFor,
} from '../proxy/helpers';

const ALLOW = ['api.example.test', '127.0.0.1/32'];

function rawServer(onConn: (s: net.Socket) => void): Promise<{ port: number; close(): Promise<void>; sockets: Set<net.Socket> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    onConn(s);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        sockets,
        close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
      }),
    ),
  );
}

describe('limits', () => {
  test('a SOCKS handshake trickled one byte at a time is cut at handshakeTimeoutMs (a deadline, not an idle timer)', async () => {
    const s = await startServers({ networkAllowlist: ALLOW, limits: { handshakeTimeoutMs: 400 } });
    try {
      const c = await Client.connect(s.socksPort);
      const bytes = [5, 1, 0, 5, 1, 0, 3, 16, ...Buffer.from('api.example.test'), 0, 80];
      const t0 = Date.now();
      let i = 0;
      const timer = setInterval(() => !c.closed && i < bytes.length && c.write(Buffer.from([bytes[i++]])), 50);
      await c.waitEnd(3_000);
      clearInterval(timer);
      expect(Date.now() - t0).toBeLessThan(1_000);
      expect(i).toBeLessThan(bytes.length);
      c.destroy();
      // Still responsive.
      const up = await startTcpUpstream('echo');
      const k = await socksConnect(s.socksPort, atypDomain('api.example.test'), up.port);
      expect(k.rep).toBe(0);
      k.c.destroy();
      await up.close();
    } finally {
      await Promise.all([s.http.close(), s.socks.close()]);
    }
  });

  test('an HTTP connection that never sends a byte is closed with 408 at headersTimeoutMs; a head over maxHeaderBytes gets 431; the proxy keeps serving', async () => {
    const up = await startTcpUpstream('echo');
    const s = await startServers({ networkAllowlist: ALLOW, limits: { headersTimeoutMs: 300, maxHeaderBytes: 2048 } });
    try {
      const silent = await Client.connect(s.httpPort);
      const t0 = Date.now();
      await silent.waitEnd(3_000);
      expect(Date.now() - t0).toBeLessThan(2_000);
      expect(silent.text()).toMatch(/^HTTP\/1\.1 408 /);
      silent.destroy();
      const big = await Client.connect(s.httpPort);
      big.write(`CONNECT api.example.test:${up.port} HTTP/1.1\r\nX-Pad: ${'p'.repeat(4096)}\r\n\r\n`);
      await big.waitEnd();
      expect(big.text()).toMatch(/^HTTP\/1\.1 431 /);
      big.destroy();
      const t = await connectTunnel(s.httpPort, `api.example.test:${up.port}`);
      t.write('alive');
      await t.readUntil('alive');
      t.destroy();
      await waitFor(() => s.http.active() === 0, 5_000, 'no connection left');
    } finally {
      await Promise.all([s.http.close(), s.socks.close()]);
      await up.close();
    }
  });

  test('an idle SOCKS tunnel is closed after idleTimeoutMs', async () => {
    const up = await startTcpUpstream('echo');
    const s = await startServers({ networkAllowlist: ALLOW, limits: { idleTimeoutMs: 300 } });
    try {
      const k = await socksConnect(s.socksPort, atypDomain('api.example.test'), up.port);
      const t0 = Date.now();
      await k.c.waitEnd(3_000);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
      await waitFor(() => up.open() === 0, 3_000, 'upstream closed');
      await waitFor(() => allowedRecords(s.ctx).length === 1, 3_000, 'record');
    } finally {
      await Promise.all([s.http.close(), s.socks.close()]);
      await up.close();
    }
  });

  test('limits are configurable per worker: createSandboxRunner({ proxyLimits }) reaches every run', async () => {
    const up = await startTcpUpstream('echo');
    const runner = createSandboxRunner({ warm: 0, proxyLimits: { maxConnections: 1 } });
    try {
      const script =
        'import socket,os\n' +
        'p=int(os.environ["HTTP_PROXY"].rsplit(":",1)[1])\n' +
        'def c():\n' +
        '  s=socket.create_connection(("127.0.0.1",p),timeout=5)\n' +
        `  s.sendall(b"CONNECT api.example.test:${up.port} HTTP/1.1\\r\\n\\r\\n")\n` +
        '  return s, s.recv(100).split(b"\\r\\n")[0].decode()\n' +
        'a,x=c(); b,y=c(); print(x); print(y)\n';
      const r = await runner.run({
        networkMode: 'allowlist', networkAllowlist: ALLOW, backend: 'bubblewrap',
        resolveStatic: new Map([['api.example.test', ['127.0.0.1']]]), command: ['python3', '-c', script],
      });
      expect(r.stderr).toBe('');
      expect(r.stdout.split('\n').slice(0, 2)).toEqual(['HTTP/1.1 200 Connection Established', 'HTTP/1.1 503 Service Unavailable']);
    } finally {
      runner.close();
      await up.close();
    }
  });
});

describe('faults', () => {
  test('upstream refused: 502 / SOCKS 0x05, recorded as upstream-failed', async () => {
    const dead = await closedPort();
    const s = await startServers({ networkAllowlist: ALLOW });
    try {
      const c = await Client.connect(s.httpPort);
      c.write(`CONNECT api.example.test:${dead} HTTP/1.1\r\n\r\n`);
      await c.waitEnd();
      expect(c.text()).toMatch(/^HTTP\/1\.1 502 [\s\S]*X-Sandbox-Refusal: upstream-failed/);
      const g = await Client.connect(s.httpPort);
      g.write(`GET http://api.example.test:${dead}/ HTTP/1.1\r\nHost: x\r\n\r\n`);
      await g.waitEnd();
      expect(g.text()).toMatch(/^HTTP\/1\.1 502 /);
      const k = await socksConnect(s.socksPort, atypDomain('api.example.test'), dead);
      expect(k.rep).toBe(5);
      for (const x of [c, g, k.c]) x.destroy();
      expect(deniedRecords(s.ctx).map((r) => [r.proxy, r.reason, r.address])).toEqual([
        ['http', 'upstream-failed', '127.0.0.1'], ['http', 'upstream-failed', '127.0.0.1'], ['socks5', 'upstream-failed', '127.0.0.1'],
      ]);
    } finally {
      await Promise.all([s.http.close(), s.socks.close()]);
    }
  });

  test('upstream reset mid-body: the client sees the connection end, never a hang; the exchange is recorded', async () => {
    const up = await rawServer((sock) => {
      sock.once('data', () => {
        sock.write('HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n' + 'x'.repeat(1000));
        setTimeout(() => sock.resetAndDestroy(), 50);
      });
    });
    const s = await startServers({ networkAllowlist: ALLOW });
    try {
      const g = await Client.connect(s.httpPort);
      g.write(`GET http://api.example.test:${up.port}/ HTTP/1.1\r\nHost: x\r\n\r\n`);
      await g.waitEnd(3_000);
      expect(g.text()).toMatch(/^HTTP\/1\.1 200 /);
      expect(g.text().length).toBeLessThan(100000);
      const t = await connectTunnel(s.httpPort, `api.example.test:${up.port}`);
      t.write('GET / HTTP/1.1\r\n\r\n');
      await t.waitEnd(3_000);
      g.destroy();
      t.destroy();
      await waitFor(() => allowedRecords(s.ctx).length === 2, 3_000, 'two records');
      await waitFor(() => s.http.active() === 0, 3_000, 'nothing left');
    } finally {
      await Promise.all([s.http.close(), s.socks.close()]);
      await up.close();
    }
  });

  test('a silent upstream: the forwarded request and the tunnel end at idleTimeoutMs', async () => {
    const up = await rawServer((sock) => sock.resume()); // reads, never answers
    const s = await startServers({ networkAllowlist: ALLOW, limits: { idleTimeoutMs: 400 } });
    try {
      const g = await Client.connect(s.httpPort);
      g.write(`GET http://api.example.test:${up.port}/ HTTP/1.1\r\nHost: x\r\n\r\n`);
      const t = await connectTunnel(s.httpPort, `api.example.test:${up.port}`);
      t.write('hello?');
      const t0 = Date.now();
      await Promise.all([g.waitEnd(3_000), t.waitEnd(3_000)]);
      expect(Date.now() - t0).toBeLessThan(2_500);
      expect(g.text()).toMatch(/^HTTP\/1\.1 502 /);
      // The proxy ended its side of both upstream connections.
      await waitFor(() => [...up.sockets].every((x) => x.readableEnded), 3_000, 'upstream sockets ended');
      g.destroy();
      t.destroy();
    } finally {
      await Promise.all([s.http.close(), s.socks.close()]);
      await up.close();
    }
  });

  test('a client aborting mid-transfer ends the upstream side', async () => {
    const up = await rawServer((sock) => {
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const pump = (): void => {
        while (!sock.destroyed && sock.write(chunk));
        if (!sock.destroyed) sock.once('drain', pump);
      };
      pump();
    });
    const s = await startServers({ networkAllowlist: ALLOW });
    try {
      for (const viaSocks of [false, true]) {
        const c = viaSocks ? (await socksConnect(s.socksPort, atypDomain('api.example.test'), up.port)).c : await connectTunnel(s.httpPort, `api.example.test:${up.port}`);
        await c.until(() => c.data.length > 100_000, 3_000);
        c.socket.resetAndDestroy();
        await waitFor(() => up.sockets.size === 0, 3_000, 'upstream closed');
      }
      await waitFor(() => allowedRecords(s.ctx).length === 2, 3_000, 'records');
      expect(allowedRecords(s.ctx).every((r) => (r.bytesDown ?? 0) > 100_000)).toBe(true);
    } finally {
      await Promise.all([s.http.close(), s.socks.close()]);
      await up.close();
    }
  });

  test('half-close in both directions through SOCKS and CONNECT', async () => {
    const echo = await startTcpUpstream('echo');
    const first = await startTcpUpstream('first');
    const s = await startServers({ networkAllowlist: ALLOW });
    try {
      for (const viaSocks of [false, true]) {
        const open = async (port: number) =>
          viaSocks ? (await socksConnect(s.socksPort, atypDomain('api.example.test'), port)).c : await connectTunnel(s.httpPort, `api.example.test:${port}`);
        // Client half-closes; the upstream still answers after it.
        const a = await open(echo.port);
        a.write('abc');
        a.end();
        await a.waitEnd();
        expect(a.text()).toBe('abcbye:3');
        // Upstream half-closes first; the client can still send.
        const b = await open(first.port);
        await b.waitEnd();
        expect(b.text()).toBe('hello');
        b.write('late');
        b.end();
        await waitFor(() => first.received().endsWith('late'), 3_000, 'late bytes');
        await b.waitClosed();
      }
    } finally {
      await Promise.all([s.http.close(), s.socks.close()]);
      await Promise.all([echo.close(), first.close()]);
    }
  });

  test('a slow reader against a fast upstream: backpressure stalls the upstream, memory stays bounded', async () => {
    let sent = 0;
    const up = await rawServer((sock) => {
      const chunk = Buffer.alloc(256 * 1024, 0x62);
      const pump = (): void => {
        while (!sock.destroyed) {
          sent += chunk.length;
          if (!sock.write(chunk)) break;
        }
        if (!sock.destroyed) sock.once('drain', pump);
      };
      pump();
    });
    const s = await startServers({ networkAllowlist: ALLOW });
    try {
      const rss0 = process.memoryUsage().rss;
      const t = await connectTunnel(s.httpPort, `api.example.test:${up.port}`);
      t.socket.pause(); // the client reads nothing
      await sleep(800);
      const stalled = sent;
      await sleep(400);
      expect(sent).toBe(stalled); // the upstream is held back, not buffered without end
      expect(stalled).toBeLessThan(64 * 1024 * 1024);
      expect(process.memoryUsage().rss - rss0).toBeLessThan(96 * 1024 * 1024);
      t.destroy();
      await waitFor(() => up.sockets.size === 0, 3_000, 'upstream closed');
    } finally {
      await Promise.all([s.http.close(), s.socks.close()]);
      await up.close();
    }
  });
});
