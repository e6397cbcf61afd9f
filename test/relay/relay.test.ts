// The kernel relay under the proxies (docs/mechanism.md, "The relay"): byte-exact transfers at
// every buffer boundary, half-close each way, a client that stops reading (memory stays flat),
// resets mid-transfer, a proxy closing with tunnels live, and 1,000 concurrent tunnels whose
// records are exact. Real sockets on loopback, the real relay process.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { relayProcessId } from '../../sandbox/relay/kernel-relay';
import { collectedRss } from '../support/memory';
import { allowedRecords, deniedRecords, startPair, waitFor, type Proxies } from '../proxy/helpers';

const ALLOW = ['api.example.test', '127.0.0.1'];

/** Deterministic bytes: byte i is i mod 251 (a prime: no power-of-two period to hide an offset bug). */
function pattern(n: number, from = 0): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (from + i) % 251;
  return b;
}
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/**
 * The upstream. First line "UP n": read n bytes, answer their sha256 and end. "DOWN n": send n
 * pattern bytes and end. "HALF": read to the client's end, then answer "got N" and end. "HOLD":
 * send "ready" and keep the connection. "RESET n": send n bytes then reset.
 */
async function startUpstream(): Promise<{ port: number; sockets: Set<net.Socket>; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    let head = Buffer.alloc(0);
    const onHead = (c: Buffer): void => {
      head = Buffer.concat([head, c]);
      const nl = head.indexOf(10);
      if (nl === -1) return;
      s.off('data', onHead);
      const [cmd, arg] = head.subarray(0, nl).toString().split(' ');
      const rest = head.subarray(nl + 1);
      const n = Number(arg);
      if (cmd === 'UP') {
        const hash = createHash('sha256');
        let got = 0;
        const take = (c: Buffer): void => {
          hash.update(c);
          got += c.length;
          if (got === n) s.end(`${hash.digest('hex')}\n`);
        };
        if (rest.length) take(rest);
        if (n === 0) s.end(`${sha(Buffer.alloc(0))}\n`);
        else s.on('data', take);
      } else if (cmd === 'DOWN') {
        sendPattern(s, n);
      } else if (cmd === 'HALF') {
        let got = rest.length;
        s.on('data', (c: Buffer) => (got += c.length));
        s.on('end', () => s.end(`got ${got}`));
      } else if (cmd === 'HOLD') {
        s.write('ready\n');
      } else if (cmd === 'RESET') {
        s.write(pattern(n), () => setTimeout(() => s.resetAndDestroy(), 20));
      }
    };
    s.on('data', onHead);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    sockets,
    close: () => new Promise((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

/** n pattern bytes, a chunk at a time as the socket takes them (the upstream buffers nothing), then the end. */
function sendPattern(s: net.Socket, n: number): void {
  let sent = 0;
  const CHUNK = 64 * 1024;
  const pump = (): void => {
    while (sent < n) {
      const len = Math.min(CHUNK, n - sent);
      const ok = s.write(pattern(len, sent));
      sent += len;
      if (!ok) return void s.once('drain', pump);
    }
    s.end();
  };
  pump();
}

/** A CONNECT tunnel through the HTTP proxy: the socket once the 200 is in. */
function tunnel(proxyPort: number, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port: proxyPort, host: '127.0.0.1', allowHalfOpen: true });
    s.once('error', reject);
    let head = Buffer.alloc(0);
    const onData = (c: Buffer): void => {
      head = Buffer.concat([head, c]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      s.off('data', onData);
      s.pause();
      if (!head.subarray(0, end).toString().startsWith('HTTP/1.1 200')) return reject(new Error(head.toString()));
      if (head.length > end + 4) s.unshift(head.subarray(end + 4));
      resolve(s);
    };
    s.on('data', onData);
    s.write(`CONNECT api.example.test:${port} HTTP/1.1\r\nHost: api.example.test:${port}\r\n\r\n`);
  });
}

function readAll(s: net.Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.once('end', () => resolve(Buffer.concat(chunks)));
    s.once('error', reject);
    s.resume();
  });
}

let p: Proxies;
let up: Awaited<ReturnType<typeof startUpstream>>;
beforeAll(async () => {
  p = await startPair({ networkAllowlist: ALLOW });
  up = await startUpstream();
});
afterAll(async () => {
  await p.pair.close();
  await up.close();
});

// Around the pipe (64 KiB default, 256 KiB asked), a page, a socket buffer and a relay round.
const SIZES = [0, 1, 4095, 4096, 4097, 65535, 65536, 65537, 262143, 262144, 262145, 1 << 20, (1 << 20) + 1, 5 * (1 << 20) + 3];

describe('byte-exact, both ways, at every boundary', () => {
  test.each(SIZES)('%d bytes up', async (n) => {
    const before = allowedRecords(p.ctx).length;
    const s = await tunnel(p.httpPort, up.port);
    const data = pattern(n);
    s.write(`UP ${n}\n`);
    s.write(data);
    const answer = (await readAll(s)).toString().trim();
    s.end();
    expect(answer).toBe(sha(data));
    const rec = await waitFor(() => allowedRecords(p.ctx)[before], 5_000, 'the record');
    expect(rec).toMatchObject({ proxy: 'http', bytesUp: `UP ${n}\n`.length + n, bytesDown: 65 });
  });

  test.each(SIZES)('%d bytes down', async (n) => {
    const before = allowedRecords(p.ctx).length;
    const s = await tunnel(p.httpPort, up.port);
    s.write(`DOWN ${n}\n`);
    const got = await readAll(s);
    s.end();
    expect(got.length).toBe(n);
    expect(sha(got)).toBe(sha(pattern(n)));
    const rec = await waitFor(() => allowedRecords(p.ctx)[before], 5_000, 'the record');
    expect(rec).toMatchObject({ bytesUp: `DOWN ${n}\n`.length, bytesDown: n });
  });
});

test('half-close from the client: the upstream sees the end and still answers', async () => {
  const s = await tunnel(p.httpPort, up.port);
  s.write('HALF\n');
  s.end(pattern(100_000));
  expect((await readAll(s)).toString()).toBe('got 100000');
});

test('half-close from the upstream: the client sees the end and may still send', async () => {
  const s = await tunnel(p.httpPort, up.port);
  s.write('DOWN 3000\n');
  const got = await readAll(s); // the upstream ended its side
  expect(got.length).toBe(3000);
  expect(s.writable).toBe(true);
  s.end('late bytes from the client');
  await new Promise((r) => s.once('close', r));
  const rec = await waitFor(() => allowedRecords(p.ctx).find((r) => r.bytesUp === 'DOWN 3000\n'.length + 'late bytes from the client'.length), 5_000, 'the record');
  expect(rec.bytesDown).toBe(3000);
});

test('a client that stops reading: the upstream is held back, and neither the worker nor the relay buffers', async () => {
  const big = 256 * (1 << 20);
  const s = await tunnel(p.httpPort, up.port);
  s.write(`DOWN ${big}\n`);
  const rssBefore = collectedRss();
  const relayBefore = relayRss();
  await new Promise((r) => setTimeout(r, 1500)); // the upstream writes as fast as it may
  const rssDuring = collectedRss();
  const relayDuring = relayRss();
  // The worker holds none of it (the relay moves it), and the relay at most its pipes.
  expect(rssDuring - rssBefore).toBeLessThan(16 << 20);
  expect(relayDuring - relayBefore).toBeLessThan(8 << 20);
  let got = 0;
  s.on('data', (c: Buffer) => (got += c.length));
  s.resume();
  await new Promise((r) => s.once('end', r));
  expect(got).toBe(big);
  s.end();
}, 60_000);

test('an upstream that resets mid-transfer: the client is reset too, and the record keeps what moved', async () => {
  const q = await startPair({ networkAllowlist: ALLOW });
  const s = await tunnel(q.httpPort, up.port);
  s.write('RESET 50000\n');
  let got = 0;
  s.on('data', (c: Buffer) => (got += c.length));
  s.resume();
  const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
    s.once('error', resolve);
    s.once('end', () => resolve(null));
  });
  expect(err?.code).toBe('ECONNRESET');
  const rec = await waitFor(() => allowedRecords(q.ctx)[0], 5_000, 'the record');
  expect(rec.bytesDown).toBe(got);
  expect(got).toBe(50000);
  await q.pair.close();
});

test('a client that resets mid-transfer: the upstream is reset at once', async () => {
  const s = await tunnel(p.httpPort, up.port);
  s.write('HOLD\n');
  s.resume();
  await new Promise((r) => s.once('data', r));
  const [upstream] = [...up.sockets].slice(-1);
  const reset = new Promise<string>((resolve) => {
    upstream.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    upstream.once('close', () => resolve('closed'));
  });
  s.resetAndDestroy();
  expect(await reset).toBe('ECONNRESET');
});

test('a client that resets after half-closing, while the upstream is silent: the relay ends the tunnel at once, and resets the upstream', async () => {
  const q = await startPair({ networkAllowlist: ALLOW });
  const s = await tunnel(q.httpPort, up.port);
  s.write('HOLD\n');
  s.resume();
  await new Promise((r) => s.once('data', r));
  const [upstream] = [...up.sockets].slice(-1);
  s.end();
  await new Promise((r) => upstream.once('end', r)); // the half-close arrived
  const reset = new Promise<string>((resolve) => {
    upstream.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
  });
  s.resetAndDestroy();
  // Nothing moves either way, yet the relay notices the reset and ends the tunnel (its record).
  await waitFor(() => allowedRecords(q.ctx)[0], 1_000, 'the tunnel to end');
  // The upstream has read its end already, so it learns of the reset on its next write: the
  // relay passed it on as a reset of its own (the upstream's socket is gone, not half-open).
  const poke = setInterval(() => upstream.write('x'), 50);
  try {
    expect(await reset).toMatch(/^(ECONNRESET|EPIPE)$/);
  } finally {
    clearInterval(poke);
    await q.pair.close();
  }
});

test("a proxy's close() ends its relayed tunnels and has their records by then", async () => {
  const q = await startPair({ networkAllowlist: ALLOW });
  const s = await tunnel(q.httpPort, up.port);
  s.write('HOLD\n');
  s.resume();
  await new Promise((r) => s.once('data', r));
  await q.pair.close();
  expect(allowedRecords(q.ctx)).toEqual([expect.objectContaining({ bytesUp: 5, bytesDown: 6 })]);
  await new Promise((r) => (s.destroyed ? r(null) : s.once('close', r)));
});

test('a dial the relay cannot make is refused as upstream-failed, with the errno', async () => {
  const closed = net.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
  const port = (closed.address() as net.AddressInfo).port;
  await new Promise((r) => closed.close(r));
  await expect(tunnel(p.httpPort, port)).rejects.toThrow(/^HTTP\/1\.1 502/);
  expect(deniedRecords(p.ctx).find((d) => d.port === port)).toMatchObject({ reason: 'upstream-failed', message: expect.stringContaining('ECONNREFUSED') });
});

test('an idle tunnel is closed after idleTimeoutMs, by the relay', async () => {
  const q = await startPair({ networkAllowlist: ALLOW, limits: { idleTimeoutMs: 500 } });
  try {
    const s = await tunnel(q.httpPort, up.port);
    s.write('HOLD\n');
    s.resume();
    const t0 = Date.now();
    await new Promise((r) => s.once('close', r));
    expect(Date.now() - t0).toBeLessThan(3000);
    await waitFor(() => allowedRecords(q.ctx)[0], 5_000, 'the record');
  } finally {
    await q.pair.close();
  }
});

test('1,000 concurrent tunnels, every record exact', async () => {
  const q = await startPair({ networkAllowlist: ALLOW });
  try {
    const count = 1000;
    const sockets = await Promise.all(Array.from({ length: count }, () => tunnel(q.httpPort, up.port)));
    // All open at once, each then moves a size of its own.
    const sizes = sockets.map((_, i) => 1 + ((i * 7919) % 20_000));
    await Promise.all(sockets.map(async (s, i) => {
      s.write(`UP ${sizes[i]}\n`);
      s.write(pattern(sizes[i], i));
      expect((await readAll(s)).toString().trim()).toBe(sha(pattern(sizes[i], i)));
      s.end();
    }));
    const recs = await waitFor(() => (allowedRecords(q.ctx).length === count ? allowedRecords(q.ctx) : undefined), 10_000, 'every record');
    expect(recs.map((r) => r.bytesUp).sort((a, b) => a - b)).toEqual(sizes.map((n) => `UP ${n}\n`.length + n).sort((a, b) => a - b));
    expect(recs.every((r) => r.bytesDown === 65)).toBe(true);
  } finally {
    await q.pair.close();
  }
}, 60_000);

test('without the relay (relay: false) the same tunnel moves through pipe() in the worker', async () => {
  const q = await startPair({ networkAllowlist: ALLOW, relay: false });
  try {
    const s = await tunnel(q.httpPort, up.port);
    const data = pattern(300_001);
    s.write('UP 300001\n');
    s.write(data);
    expect((await readAll(s)).toString().trim()).toBe(sha(data));
    s.end();
  } finally {
    await q.pair.close();
  }
});

/** This process's relay's resident set, from /proc. */
function relayRss(): number {
  const pid = relayProcessId();
  if (pid === null) throw new Error('no relay is running');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}
