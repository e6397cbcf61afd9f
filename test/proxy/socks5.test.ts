// The SOCKS5 proxy: curl --socks5-hostname, and raw sockets for every protocol edge.

import * as fs from 'node:fs';
import {
  Client, allowedRecords, atypDomain, atypIPv4, atypIPv6Loopback, closedPort, curl, deniedRecords, makeCert,
  sleep, socksConnect, startHttpUpstream, startPair, startTcpUpstream, startTlsUpstream, waitFor,
} from './helpers';
import type { Proxies, Seen, TlsFiles, Upstream } from './helpers';

type Tcp = Upstream & { received: () => string };

let cert: TlsFiles;
let tlsUp: Upstream;
let httpUp: Upstream & { seen: Seen[] };
let echo: Tcp;
let echo6: Tcp;
let first: Tcp;
let p: Proxies;

beforeAll(async () => {
  cert = await makeCert();
  tlsUp = await startTlsUpstream(cert);
  httpUp = await startHttpUpstream();
  echo = await startTcpUpstream('echo');
  echo6 = await startTcpUpstream('echo', '::1');
  first = await startTcpUpstream('first');
  p = await startPair({
    networkAllowlist: ['api.example.test', 'v6.example.test', 'nowhere.example.test', '127.0.0.1/32', '::1'],
    networkDenylist: ['evil.example.test'],
    answers: {
      'api.example.test': ['127.0.0.1'],
      'evil.example.test': ['127.0.0.1'],
      'v6.example.test': ['::1'],
      'nowhere.example.test': [],
    },
  });
});

afterAll(async () => {
  await p.pair.close();
  await Promise.all([tlsUp.close(), httpUp.close(), echo.close(), echo6.close(), first.close()]);
  fs.rmSync(cert.dir, { recursive: true, force: true });
});

function portBytes(port: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(port);
  return b;
}

/** Greeting + request; returns the reply code, and waits for the proxy to close a refusal. */
async function refused(atypAndAddr: Buffer, port: number, cmd = 1): Promise<number> {
  const c = await Client.connect(p.socksPort);
  c.write(Buffer.concat([Buffer.from([5, 1, 0, 5, cmd, 0]), atypAndAddr, portBytes(port)]));
  const sel = await c.read(2);
  expect([...sel]).toEqual([5, 0]);
  const rep = await c.read(10);
  await c.waitEnd();
  c.destroy();
  return rep[1];
}

test('curl --socks5-hostname: plain HTTP and TLS, the proxy resolving the name', async () => {
  const r = await curl(['--socks5-hostname', `127.0.0.1:${p.socksPort}`, `http://api.example.test:${httpUp.port}/via-socks`]);
  expect(r.stderr).toBe('');
  expect((JSON.parse(r.stdout) as Seen).url).toBe('/via-socks');

  const t = await curl(['--cacert', cert.cert, '-x', `socks5h://127.0.0.1:${p.socksPort}`, `https://api.example.test:${tlsUp.port}/`]);
  expect(t.stdout).toBe('secure hello\n');

  const recs = await waitFor(() => {
    const a = allowedRecords(p.ctx).filter((x) => x.port === httpUp.port || x.port === tlsUp.port);
    return a.length === 2 ? a : undefined;
  }, 5_000, 'two records');
  for (const rec of recs) {
    expect(rec).toMatchObject({ proxy: 'socks5', host: 'api.example.test', address: '127.0.0.1', rule: 'api.example.test' });
    expect(rec.bytesUp).toBeGreaterThan(0);
    expect(rec.bytesDown).toBeGreaterThan(0);
    expect(rec.durationMs).toBeGreaterThanOrEqual(0);
  }
});

test('ATYP 1 (IPv4), 3 (domain) and 4 (IPv6) are all tunnelled', async () => {
  for (const [addr, port, host] of [
    [atypIPv4('127.0.0.1'), echo.port, '127.0.0.1'],
    [atypDomain('api.example.test'), echo.port, 'api.example.test'],
    [atypIPv6Loopback(), echo6.port, '::1'],
    [atypDomain('v6.example.test'), echo6.port, 'v6.example.test'],
  ] as const) {
    const { c, rep } = await socksConnect(p.socksPort, addr, port);
    expect(rep).toBe(0);
    c.write(`to ${host}`);
    await c.readUntil(`to ${host}`);
    c.end();
    await c.waitClosed();
    const rec = await waitFor(() => allowedRecords(p.ctx).find((x) => x.host === host && x.port === port), 5_000, host);
    expect(rec.proxy).toBe('socks5');
    expect(rec.bytesUp).toBe(`to ${host}`.length);
  }
});

test('the success reply is 05 00 00 01 0.0.0.0:0', async () => {
  const c = await Client.connect(p.socksPort);
  c.write(Buffer.concat([Buffer.from([5, 1, 0, 5, 1, 0]), atypIPv4('127.0.0.1'), portBytes(echo.port)]));
  expect([...(await c.read(12))]).toEqual([5, 0, 5, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  c.destroy();
});

test('refusals by policy reply 0x02 and are recorded', async () => {
  expect(await refused(atypDomain('pypi.org'), 443)).toBe(2);
  expect(deniedRecords(p.ctx).find((x) => x.host === 'pypi.org')).toMatchObject({
    proxy: 'socks5',
    port: 443,
    reason: 'not-allowlisted',
  });
  expect(await refused(atypIPv4('10.1.2.3'), 5432)).toBe(2);
  expect(deniedRecords(p.ctx).find((x) => x.host === '10.1.2.3')).toMatchObject({ reason: 'not-allowlisted' });
  // deny wins
  expect(await refused(atypDomain('evil.example.test'), echo.port)).toBe(2);
  expect(deniedRecords(p.ctx).find((x) => x.host === 'evil.example.test')).toMatchObject({
    reason: 'denylisted',
    rule: 'evil.example.test',
  });
});

test('curl sees a refusal as a failed SOCKS connect', async () => {
  const r = await curl(['--socks5-hostname', `127.0.0.1:${p.socksPort}`, 'http://pypi.org/']);
  expect(r.code).not.toBe(0);
  expect(r.stdout).toBe('');
});

test('resolve failure replies 0x04, a refused upstream 0x05; both recorded', async () => {
  expect(await refused(atypDomain('nowhere.example.test'), 443)).toBe(4);
  expect(deniedRecords(p.ctx).find((x) => x.host === 'nowhere.example.test')).toMatchObject({ reason: 'resolve-failed' });
  const port = await closedPort();
  expect(await refused(atypDomain('api.example.test'), port)).toBe(5);
  expect(deniedRecords(p.ctx).find((x) => x.port === port)).toMatchObject({
    proxy: 'socks5',
    host: 'api.example.test',
    reason: 'upstream-failed',
    address: '127.0.0.1',
  });
});

test('BIND and UDP ASSOCIATE reply 0x07 (unsupported) and are recorded', async () => {
  expect(await refused(atypIPv4('127.0.0.1'), 4000, 2)).toBe(7);
  expect(await refused(atypIPv4('127.0.0.1'), 4001, 3)).toBe(7);
  expect(deniedRecords(p.ctx).filter((x) => x.reason === 'unsupported' && (x.port === 4000 || x.port === 4001))).toHaveLength(2);
});

test('an unknown ATYP replies 0x08 (malformed)', async () => {
  const c = await Client.connect(p.socksPort);
  const before = deniedRecords(p.ctx).filter((x) => x.reason === 'malformed').length;
  c.write(Buffer.from([5, 1, 0, 5, 1, 0, 9, 1, 2, 3, 4, 0, 80]));
  await c.read(2);
  expect((await c.read(10))[1]).toBe(8);
  await c.waitEnd();
  c.destroy();
  expect(deniedRecords(p.ctx).filter((x) => x.reason === 'malformed').length).toBe(before + 1);
});

test('a NUL byte in a domain is malformed, recorded with the raw text', async () => {
  expect(await refused(atypDomain('api.example.test\0.evil'), echo.port)).toBe(2);
  expect(deniedRecords(p.ctx).find((x) => x.host === 'api.example.test\0.evil')).toMatchObject({
    reason: 'malformed',
    port: echo.port,
  });
  expect(await refused(atypDomain(''), echo.port)).toBe(2);
  expect(await refused(atypDomain('api.example.test'), 0)).toBe(2);
});

test('a SOCKS4 greeting (and anything not version 5) is closed at once, without a byte', async () => {
  for (const greeting of [
    Buffer.from([4, 1, 0, 80, 127, 0, 0, 1, 0]),
    Buffer.from('GET / HTTP/1.1\r\n\r\n'),
  ]) {
    const c = await Client.connect(p.socksPort);
    c.write(greeting);
    await c.waitEnd();
    expect(c.data.length).toBe(0);
    c.destroy();
  }
});

test('no acceptable method: 05 FF and close', async () => {
  const c = await Client.connect(p.socksPort);
  c.write(Buffer.from([5, 1, 2])); // only user/pass offered, none configured
  expect([...(await c.read(2))]).toEqual([5, 0xff]);
  await c.waitEnd();
  c.destroy();
});

test('a handshake arriving one byte at a time works, and early data follows it', async () => {
  const c = await Client.connect(p.socksPort);
  const bytes = Buffer.concat([Buffer.from([5, 2, 0, 2, 5, 1, 0]), atypDomain('api.example.test'), portBytes(echo.port)]);
  for (const b of bytes) {
    c.write(Buffer.from([b]));
    await sleep(2);
  }
  expect([...(await c.read(2))]).toEqual([5, 0]);
  expect((await c.read(10))[1]).toBe(0);
  c.write('byte by byte');
  await c.readUntil('byte by byte');
  c.destroy();
});

test('data sent in the same packet as the request goes upstream first', async () => {
  const c = await Client.connect(p.socksPort);
  c.write(Buffer.concat([Buffer.from([5, 1, 0, 5, 1, 0]), atypIPv4('127.0.0.1'), portBytes(echo.port), Buffer.from('eager')]));
  await c.read(12);
  await c.readUntil('eager');
  c.end();
  expect(await c.readUntil('bye:5')).toBe('bye:5');
});

test('half-close through SOCKS, both ways', async () => {
  const a = await socksConnect(p.socksPort, atypDomain('api.example.test'), echo.port);
  expect(a.rep).toBe(0);
  a.c.write('ping');
  await a.c.readUntil('ping');
  a.c.end();
  await a.c.waitEnd();
  expect(a.c.text()).toBe('bye:4');
  await a.c.waitClosed();

  const b = await socksConnect(p.socksPort, atypDomain('api.example.test'), first.port);
  expect(b.rep).toBe(0);
  await b.c.waitEnd();
  expect(b.c.text()).toBe('hello');
  b.c.write('after your FIN');
  b.c.end();
  await waitFor(() => first.received() === 'after your FIN', 5_000, 'late bytes upstream');
  await b.c.waitClosed();
});

test('RFC 1929 credentials when a credential is set', async () => {
  const q = await startPair({
    networkAllowlist: ['api.example.test', '127.0.0.1/32'],
    credential: { username: 'run-9', password: 'pw' },
  });
  try {
    // No-auth only: refused with 0xFF.
    const n = await Client.connect(q.socksPort);
    n.write(Buffer.from([5, 1, 0]));
    expect([...(await n.read(2))]).toEqual([5, 0xff]);
    await n.waitEnd();
    n.destroy();

    // Wrong password: status 0x01 and close.
    const w = await Client.connect(q.socksPort);
    w.write(Buffer.from([5, 2, 0, 2]));
    expect([...(await w.read(2))]).toEqual([5, 2]);
    w.write(Buffer.concat([Buffer.from([1, 5]), Buffer.from('run-9'), Buffer.from([5]), Buffer.from('wrong')]));
    expect([...(await w.read(2))]).toEqual([1, 1]);
    await w.waitEnd();
    w.destroy();

    // Right one: tunnel.
    const ok = await Client.connect(q.socksPort);
    ok.write(Buffer.concat([
      Buffer.from([5, 1, 2]),
      Buffer.from([1, 5]), Buffer.from('run-9'), Buffer.from([2]), Buffer.from('pw'),
      Buffer.from([5, 1, 0]), atypDomain('api.example.test'), portBytes(echo.port),
    ]));
    expect([...(await ok.read(2))]).toEqual([5, 2]);
    expect([...(await ok.read(2))]).toEqual([1, 0]);
    expect((await ok.read(10))[1]).toBe(0);
    ok.write('authed');
    await ok.readUntil('authed');
    ok.destroy();

    const r = await curl(['-x', `socks5h://run-9:pw@127.0.0.1:${q.socksPort}`, `http://api.example.test:${httpUp.port}/c`]);
    expect((JSON.parse(r.stdout) as Seen).url).toBe('/c');
    const bad = await curl(['-x', `socks5h://run-9:no@127.0.0.1:${q.socksPort}`, `http://api.example.test:${httpUp.port}/c`]);
    expect(bad.code).not.toBe(0);
    expect(deniedRecords(q.ctx)).toEqual([]);
  } finally {
    await q.pair.close();
  }
});

test('the internal-address backstop applies to SOCKS too', async () => {
  const q = await startPair({ networkAllowlist: ['api.example.test'] });
  try {
    const c = await Client.connect(q.socksPort);
    c.write(Buffer.concat([Buffer.from([5, 1, 0, 5, 1, 0]), atypDomain('api.example.test'), portBytes(echo.port)]));
    await c.read(2);
    expect((await c.read(10))[1]).toBe(2);
    c.destroy();
    expect(deniedRecords(q.ctx)[0]).toMatchObject({ proxy: 'socks5', reason: 'internal-address', address: '127.0.0.1' });
  } finally {
    await q.pair.close();
  }
});
