// HTTP CONNECT through a real proxy pair: curl over TLS, raw sockets for the protocol edges.

import * as fs from 'node:fs';
import {
  allowedRecords, Client, closedPort, connectTunnel, curl, deniedRecords, makeCert, startPair, startTcpUpstream,
  startTlsUpstream, waitAllowed, waitFor,
} from './helpers';
import type { Proxies, TlsFiles, Upstream } from './helpers';

type Tcp = Upstream & { received: () => string };

let cert: TlsFiles;
let tlsUp: Upstream;
let echo: Tcp;
let first: Tcp;
let p: Proxies;

beforeAll(async () => {
  cert = await makeCert();
  tlsUp = await startTlsUpstream(cert);
  echo = await startTcpUpstream('echo');
  first = await startTcpUpstream('first');
  p = await startPair({
    networkAllowlist: ['*.example.test', '127.0.0.1/32'],
    networkDenylist: ['evil.example.test', '127.0.0.2'],
    answers: {
      'api.example.test': ['127.0.0.1'],
      'evil.example.test': ['127.0.0.1'],
      'poisoned.example.test': ['127.0.0.1', '127.0.0.2'],
      'nowhere.example.test': [],
    },
  });
});

afterAll(async () => {
  await p.pair.close();
  await Promise.all([tlsUp.close(), echo.close(), first.close()]);
  fs.rmSync(cert.dir, { recursive: true, force: true });
});

/** Send one CONNECT on a raw socket and read the whole answer (the proxy closes after it). */
async function refusedConnect(authority: string, port = p.httpPort): Promise<{ head: string; body: string }> {
  const c = await Client.connect(port);
  c.write(`CONNECT ${authority} HTTP/1.1\r\nHost: x\r\n\r\n`);
  await c.waitEnd();
  const text = c.text();
  c.destroy();
  const i = text.indexOf('\r\n\r\n');
  return { head: text.slice(0, i), body: text.slice(i + 4) };
}

test('curl https through CONNECT, the proxy resolving the name; allowed record with bytes', async () => {
  const r = await curl(['--cacert', cert.cert, '-x', p.httpUrl, `https://api.example.test:${tlsUp.port}/`]);
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe('secure hello\n');
  const [rec] = await waitAllowed(p.ctx);
  expect(rec).toMatchObject({
    proxy: 'http',
    host: 'api.example.test',
    port: tlsUp.port,
    address: '127.0.0.1',
    rule: '*.example.test',
  });
  expect('reason' in rec).toBe(false);
  expect(new Date(rec.at).toISOString()).toBe(rec.at);
  expect(rec.bytesUp).toBeGreaterThan(100); // a TLS ClientHello at least
  expect(rec.bytesDown).toBeGreaterThan(500); // the certificate at least
  expect(rec.durationMs).toBeGreaterThanOrEqual(0);
});

test('CONNECT to a name off the allowlist: 403 with reason header, one-line body and a record', async () => {
  const { head, body } = await refusedConnect('pypi.org:443');
  expect(head).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
  expect(head).toMatch(/\r\nX-Sandbox-Refusal: not-allowlisted(\r\n|$)/);
  // decide()'s own explanation, in the body and in the record; the reason is the header's.
  expect(body).toBe('temporal-sandbox: refused: pypi.org:443 is not on the allowlist\n');
  const rec = deniedRecords(p.ctx).find((r) => r.host === 'pypi.org');
  expect(rec).toMatchObject({ proxy: 'http', host: 'pypi.org', port: 443, reason: 'not-allowlisted' });
  expect(rec?.address).toBeUndefined();

  // curl sees the refusal too.
  const r = await curl(['-x', p.httpUrl, 'https://pypi.org/']);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(/403/);
});

test('deny wins over a matching allow entry, by name and by any resolved address', async () => {
  const byName = await refusedConnect(`evil.example.test:${echo.port}`);
  expect(byName.head).toMatch(/^HTTP\/1\.1 403 /);
  expect(byName.body).toBe(`temporal-sandbox: refused: evil.example.test:${echo.port} is denylisted by 'evil.example.test'\n`);
  expect(deniedRecords(p.ctx).find((r) => r.host === 'evil.example.test')).toMatchObject({
    reason: 'denylisted',
    rule: 'evil.example.test',
  });

  const byAddress = await refusedConnect(`poisoned.example.test:${echo.port}`);
  expect(byAddress.head).toMatch(/X-Sandbox-Refusal: denylisted/);
  expect(deniedRecords(p.ctx).find((r) => r.host === 'poisoned.example.test')).toMatchObject({
    reason: 'denylisted',
    rule: '127.0.0.2',
    address: '127.0.0.2',
  });
  expect(echo.accepted()).toBe(0);
});

test('the name is canonicalized before matching and recording', async () => {
  const c = await connectTunnel(p.httpPort, `API.Example.TEST.:${echo.port}`);
  c.write('x');
  c.end();
  await c.waitEnd();
  expect(c.text()).toBe('xbye:1');
  // The record comes when the relay reports the tunnel's end, just after the client saw it.
  await waitFor(() => allowedRecords(p.ctx).find((r) => r.host === 'api.example.test' && r.port === echo.port && r.bytesUp === 1), 5_000, 'the record');
});

test('malformed targets: no port, forbidden characters', async () => {
  const noPort = await refusedConnect('api.example.test');
  expect(noPort.head).toMatch(/^HTTP\/1\.1 400 /);
  expect(noPort.head).toMatch(/X-Sandbox-Refusal: malformed/);
  expect(deniedRecords(p.ctx).find((r) => r.host === 'api.example.test' && r.port === 0)).toMatchObject({
    reason: 'malformed',
  });

  const bad = await refusedConnect('api.example.test%2f..:443');
  expect(bad.head).toMatch(/^HTTP\/1\.1 400 /);
  expect(deniedRecords(p.ctx).find((r) => r.host === 'api.example.test%2f..')).toMatchObject({
    reason: 'malformed',
    port: 443,
  });
});

test('resolve failure: 502 and a resolve-failed record', async () => {
  const { head } = await refusedConnect('nowhere.example.test:443');
  expect(head).toMatch(/^HTTP\/1\.1 502 /);
  expect(head).toMatch(/X-Sandbox-Refusal: resolve-failed/);
  expect(deniedRecords(p.ctx).find((r) => r.host === 'nowhere.example.test')).toMatchObject({
    proxy: 'http',
    port: 443,
    reason: 'resolve-failed',
  });
});

test('upstream refusing the connection: 502 and an upstream-failed record with the address', async () => {
  const port = await closedPort();
  const { head } = await refusedConnect(`api.example.test:${port}`);
  expect(head).toMatch(/^HTTP\/1\.1 502 /);
  expect(head).toMatch(/X-Sandbox-Refusal: upstream-failed/);
  expect(deniedRecords(p.ctx).find((r) => r.port === port)).toMatchObject({
    host: 'api.example.test',
    reason: 'upstream-failed',
    address: '127.0.0.1',
    rule: '*.example.test',
  });
});

test('bytes the client sends right after the CONNECT head go upstream first', async () => {
  const c = await Client.connect(p.httpPort);
  c.write(`CONNECT api.example.test:${echo.port} HTTP/1.1\r\nHost: x\r\n\r\nearly-bytes`);
  await c.readUntil('\r\n\r\n');
  await c.readUntil('early-bytes');
  c.write('-later');
  await c.readUntil('-later');
  c.end();
  expect(await c.readUntil('bye:17')).toBe('bye:17');
});

test('half-close through CONNECT, client side first: the upstream still answers after EOF', async () => {
  const c = await connectTunnel(p.httpPort, `api.example.test:${echo.port}`);
  c.write('hello upstream');
  await c.readUntil('hello upstream');
  c.end(); // FIN towards the upstream only
  await c.waitEnd();
  expect(c.text()).toBe('bye:14');
  await c.waitClosed();
  const rec = (await waitAllowed(p.ctx, 1)).find((r) => r.bytesUp === 14);
  expect(rec).toMatchObject({ bytesUp: 14, bytesDown: 14 + 6 });
});

test('half-close through CONNECT, upstream side first: the client can still send', async () => {
  const c = await connectTunnel(p.httpPort, `api.example.test:${first.port}`);
  await c.waitEnd(); // upstream wrote "hello" and half-closed
  expect(c.text()).toBe('hello');
  expect(c.closed).toBe(false);
  c.write('still talking');
  c.end();
  await waitFor(() => first.received() === 'still talking', 5_000, 'upstream to get the late bytes');
  await c.waitClosed();
});

test('the internal-address backstop: an allowlisted name resolving to loopback is refused', async () => {
  const q = await startPair({ networkAllowlist: ['api.example.test'] });
  try {
    const { head, body } = await refusedConnect(`api.example.test:${echo.port}`, q.httpPort);
    expect(head).toMatch(/^HTTP\/1\.1 403 /);
    // The address is the cause, not the allow rule that matched the name.
    expect(body).toBe(`temporal-sandbox: refused: api.example.test:${echo.port} resolves to 127.0.0.1, which is loopback, not public, and no IP or CIDR entry allows it\n`);
    expect(deniedRecords(q.ctx)[0]).toMatchObject({
      host: 'api.example.test',
      reason: 'internal-address',
      address: '127.0.0.1',
      rule: 'api.example.test',
    });
    // An IP target needs an IP entry at all.
    const ip = await refusedConnect(`127.0.0.1:${echo.port}`, q.httpPort);
    expect(ip.head).toMatch(/X-Sandbox-Refusal: not-allowlisted/);
  } finally {
    await q.pair.close();
  }
});

test("the proxy does not dial its own listeners", async () => {
  const { head } = await refusedConnect(`127.0.0.1:${p.socksPort}`);
  expect(head).toMatch(/^HTTP\/1\.1 403 /);
  expect(deniedRecords(p.ctx).find((r) => r.port === p.socksPort)).toMatchObject({ reason: 'internal-address' });
});

test('blocked posture refuses everything', async () => {
  const q = await startPair({ networkMode: 'blocked' });
  try {
    const { head } = await refusedConnect(`127.0.0.1:${echo.port}`, q.httpPort);
    expect(head).toMatch(/X-Sandbox-Refusal: not-allowlisted/);
  } finally {
    await q.pair.close();
  }
});

test('open posture with a denylist: the deny filter only, no backstop', async () => {
  const q = await startPair({ networkMode: 'open', networkDenylist: ['evil.example.test'] });
  try {
    const c = await connectTunnel(q.httpPort, `api.example.test:${echo.port}`);
    c.write('ok');
    await c.readUntil('ok');
    c.destroy();
    const { head } = await refusedConnect(`evil.example.test:${echo.port}`, q.httpPort);
    expect(head).toMatch(/X-Sandbox-Refusal: denylisted/);
  } finally {
    await q.pair.close();
  }
});

test('a credential is required when set: 407 without it (not recorded), tunnel with it', async () => {
  const q = await startPair({
    networkAllowlist: ['api.example.test', '127.0.0.1/32'],
    credential: { username: 'run-7', password: 's3cret:with:colons' },
  });
  try {
    const none = await refusedConnect(`api.example.test:${tlsUp.port}`, q.httpPort);
    expect(none.head).toMatch(/^HTTP\/1\.1 407 /);
    expect(none.head).toMatch(/\r\nProxy-Authenticate: Basic realm="temporal-sandbox"/);

    const c = await Client.connect(q.httpPort);
    const wrong = Buffer.from('run-7:guess').toString('base64');
    c.write(`CONNECT api.example.test:${tlsUp.port} HTTP/1.1\r\nProxy-Authorization: Basic ${wrong}\r\n\r\n`);
    await c.waitEnd();
    expect(c.text()).toMatch(/^HTTP\/1\.1 407 /);
    c.destroy();
    expect(deniedRecords(q.ctx)).toEqual([]);

    const r = await curl([
      '--cacert', cert.cert, '-x', q.httpUrl, '--proxy-user', 'run-7:s3cret:with:colons',
      `https://api.example.test:${tlsUp.port}/`,
    ]);
    expect(r.stdout).toBe('secure hello\n');
    const bad = await curl([
      '--cacert', cert.cert, '-x', q.httpUrl, '--proxy-user', 'run-7:nope', `https://api.example.test:${tlsUp.port}/`,
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/407/);
  } finally {
    await q.pair.close();
  }
});
