// Absolute-form requests through the HTTP proxy, and the request forms it refuses.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, allowedRecords, curl, deniedRecords, startHttpUpstream, startPair, waitAllowed, waitFor } from './helpers';
import type { Proxies, Seen, Upstream } from './helpers';

type HttpUp = Upstream & { seen: Seen[] };

let up: HttpUp;
let up2: HttpUp;
let up6: HttpUp;
let p: Proxies;
let tmp: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'proxy-fwd-'));
  up = await startHttpUpstream();
  up2 = await startHttpUpstream();
  up6 = await startHttpUpstream('::1');
  p = await startPair({
    networkAllowlist: ['api.example.test', 'other.example.test', '127.0.0.1/32', '::1'],
    networkDenylist: ['evil.example.test'],
  });
});

afterAll(async () => {
  await p.pair.close();
  await Promise.all([up.close(), up2.close(), up6.close()]);
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Read one HTTP response (Content-Length or chunked body) off a raw client. */
async function readResponse(c: Client): Promise<{ head: string; body: string }> {
  const head = await c.readUntil('\r\n\r\n');
  const m = /\r\ncontent-length: (\d+)/i.exec(head);
  if (m) return { head, body: (await c.read(Number(m[1]))).toString('utf8') };
  if (!/\r\ntransfer-encoding: chunked/i.test(head)) return { head, body: '' };
  let body = '';
  for (;;) {
    const size = parseInt(await c.readUntil('\r\n'), 16);
    if (size === 0) {
      await c.readUntil('\r\n');
      return { head, body };
    }
    body += (await c.read(size)).toString('utf8');
    await c.read(2);
  }
}

test('GET: path and query kept, Host rebuilt from the canonical target, client Host ignored', async () => {
  const r = await curl([
    '-x', p.httpUrl, '-H', 'Host: evil.example.test', '-H', 'X-Normal: yes',
    `http://API.example.test:${up.port}/some/path?q=1&r=two`,
  ]);
  expect(r.stderr).toBe('');
  const seen = JSON.parse(r.stdout) as Seen;
  expect(seen.method).toBe('GET');
  expect(seen.url).toBe('/some/path?q=1&r=two');
  expect(seen.headers.host).toBe(`api.example.test:${up.port}`);
  expect(seen.rawHeaders.filter((h) => h.toLowerCase() === 'host')).toHaveLength(1);
  expect(seen.headers['x-normal']).toBe('yes');
  expect(seen.headers['proxy-connection']).toBeUndefined();

  const rec = (await waitAllowed(p.ctx)).find((x) => x.port === up.port);
  expect(rec).toMatchObject({ proxy: 'http', host: 'api.example.test', address: '127.0.0.1', rule: 'api.example.test', bytesUp: 0 });
  expect(rec?.bytesDown).toBe(Buffer.byteLength(r.stdout));
  expect(rec?.durationMs).toBeGreaterThanOrEqual(0);
});

test('POST: a 2 MiB body streams through, counted as bytesUp', async () => {
  const file = path.join(tmp, 'body.bin');
  fs.writeFileSync(file, Buffer.alloc(2 * 1024 * 1024, 'z'));
  const before = allowedRecords(p.ctx).length;
  const r = await curl(['-x', p.httpUrl, '--data-binary', `@${file}`, `http://other.example.test:${up2.port}/upload`]);
  const seen = JSON.parse(r.stdout) as Seen;
  expect(seen.method).toBe('POST');
  expect(seen.body.length).toBe(2 * 1024 * 1024);
  expect(seen.headers.host).toBe(`other.example.test:${up2.port}`);
  const recs = await waitAllowed(p.ctx, before + 1);
  expect(recs[recs.length - 1]).toMatchObject({ host: 'other.example.test', bytesUp: 2 * 1024 * 1024 });
});

test('chunked request body and a streamed response pass through', async () => {
  const c = await Client.connect(p.httpPort);
  c.write(
    `PUT http://api.example.test:${up.port}/chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n` +
      '5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n',
  );
  const { head, body } = await readResponse(c);
  expect(head).toMatch(/^HTTP\/1\.1 200 /);
  expect((JSON.parse(body) as Seen).body).toBe('hello world');
  c.destroy();
});

test('hop-by-hop headers are not forwarded, either way; Proxy-Authorization never is', async () => {
  const c = await Client.connect(p.httpPort);
  c.write(
    `GET http://api.example.test:${up.port}/big HTTP/1.1\r\nHost: api.example.test\r\n` +
      'Connection: keep-alive, X-Secret-Hop\r\nX-Secret-Hop: 1\r\nKeep-Alive: timeout=5\r\n' +
      'Proxy-Connection: keep-alive\r\nTE: trailers\r\nProxy-Authorization: Basic Zm9vOmJhcg==\r\nX-Kept: 1\r\n\r\n',
  );
  const { head, body } = await readResponse(c);
  expect(head).toMatch(/^HTTP\/1\.1 200 /);
  expect(head).not.toMatch(/x-hop/i);
  expect(body.length).toBe(100_000);
  const seen = up.seen[up.seen.length - 1];
  expect(seen.url).toBe('/big');
  for (const h of ['x-secret-hop', 'keep-alive', 'proxy-connection', 'te', 'proxy-authorization']) {
    expect(seen.headers[h]).toBeUndefined();
  }
  expect(seen.headers['x-kept']).toBe('1');
  c.destroy();
  const rec = await waitFor(() => allowedRecords(p.ctx).find((r) => r.bytesDown === 100_000), 5_000, 'record');
  expect(rec).toMatchObject({ host: 'api.example.test', port: up.port });
});

test('keep-alive: each request on one client connection is decided on its own', async () => {
  const c = await Client.connect(p.httpPort);
  c.write(`GET http://api.example.test:${up.port}/one HTTP/1.1\r\nHost: api.example.test\r\n\r\n`);
  const one = await readResponse(c);
  expect((JSON.parse(one.body) as Seen).headers.host).toBe(`api.example.test:${up.port}`);

  c.write(`GET http://other.example.test:${up2.port}/two HTTP/1.1\r\nHost: api.example.test\r\n\r\n`);
  const two = await readResponse(c);
  expect((JSON.parse(two.body) as Seen).headers.host).toBe(`other.example.test:${up2.port}`);
  expect(up2.seen[up2.seen.length - 1].url).toBe('/two');

  c.write(`GET http://evil.example.test:${up.port}/three HTTP/1.1\r\nHost: api.example.test\r\n\r\n`);
  const three = await readResponse(c);
  expect(three.head).toMatch(/^HTTP\/1\.1 403 /);
  expect(three.head).toMatch(/X-Sandbox-Refusal: denylisted/);
  expect(three.body).toBe(`temporal-sandbox: refused: evil.example.test:${up.port} is denylisted by 'evil.example.test'\n`);
  expect(up.seen.some((s) => s.url === '/three')).toBe(false);
  await c.waitEnd(); // a refusal ends the client connection
  c.destroy();
  await waitFor(() => allowedRecords(p.ctx).some((r) => r.host === 'other.example.test' && r.port === up2.port), 5_000, 'record');
});

test('refused absolute-form target: 403 and a record', async () => {
  const r = await curl(['-x', p.httpUrl, '-o', '/dev/null', '-w', '%{http_code}', 'http://pypi.org/simple/']);
  expect(r.stdout).toBe('403');
  expect(deniedRecords(p.ctx).find((x) => x.host === 'pypi.org')).toMatchObject({ port: 80, reason: 'not-allowlisted' });
});

test('default port 80, and the dial failing there: 502 upstream-failed', async () => {
  // Nothing listens on 127.0.0.1:80 in the test environment.
  const c = await Client.connect(p.httpPort);
  c.write('GET http://api.example.test/ HTTP/1.1\r\nHost: api.example.test\r\n\r\n');
  const { head } = await readResponse(c);
  c.destroy();
  expect(head).toMatch(/^HTTP\/1\.1 502 /);
  expect(deniedRecords(p.ctx).find((x) => x.port === 80 && x.host === 'api.example.test')).toMatchObject({
    reason: 'upstream-failed',
    address: '127.0.0.1',
  });
});

test('an IPv6 literal target: Host is bracketed', async () => {
  const r = await curl(['-x', p.httpUrl, `http://[::1]:${up6.port}/v6`]);
  const seen = JSON.parse(r.stdout) as Seen;
  expect(seen.headers.host).toBe(`[::1]:${up6.port}`);
  await waitFor(() => allowedRecords(p.ctx).find((x) => x.host === '::1'), 5_000, 'record');
});

async function rawRefusal(request: string): Promise<{ head: string; body: string }> {
  const c = await Client.connect(p.httpPort);
  c.write(request);
  const r = await readResponse(c);
  c.destroy();
  return r;
}

test('origin-form requests are refused (unsupported) and recorded', async () => {
  const { head } = await rawRefusal('GET /index.html HTTP/1.1\r\nHost: origin.example.test\r\n\r\n');
  expect(head).toMatch(/^HTTP\/1\.1 400 /);
  expect(head).toMatch(/X-Sandbox-Refusal: unsupported/);
  expect(deniedRecords(p.ctx).find((x) => x.host === 'origin.example.test')).toMatchObject({
    port: 80,
    reason: 'unsupported',
  });
});

test('https:// in absolute-form is refused (unsupported, 501)', async () => {
  const { head } = await rawRefusal(`GET https://api.example.test:${up.port}/ HTTP/1.1\r\nHost: api.example.test\r\n\r\n`);
  expect(head).toMatch(/^HTTP\/1\.1 501 /);
  expect(head).toMatch(/X-Sandbox-Refusal: unsupported/);
  expect(deniedRecords(p.ctx).find((x) => x.reason === 'unsupported' && x.port === up.port)).toMatchObject({
    host: 'api.example.test',
  });
  const ftp = await rawRefusal('GET ftp://api.example.test/file HTTP/1.1\r\nHost: api.example.test\r\n\r\n');
  expect(ftp.head).toMatch(/^HTTP\/1\.1 501 /);
});

test('userinfo in the authority is malformed', async () => {
  const { head } = await rawRefusal(`GET http://user@api.example.test:${up.port}/ HTTP/1.1\r\nHost: x\r\n\r\n`);
  expect(head).toMatch(/^HTTP\/1\.1 400 /);
  expect(head).toMatch(/X-Sandbox-Refusal: malformed/);
});

test('Upgrade requests are refused (unsupported) and never reach the upstream', async () => {
  const seenBefore = up.seen.length;
  const { head } = await rawRefusal(
    `GET http://api.example.test:${up.port}/ws HTTP/1.1\r\nHost: api.example.test\r\n` +
      'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
  );
  expect(head).toMatch(/^HTTP\/1\.1 501 /);
  expect(head).toMatch(/X-Sandbox-Refusal: unsupported/);
  expect(up.seen.length).toBe(seenBefore);
  expect(deniedRecords(p.ctx).find((x) => x.reason === 'unsupported' && x.host === 'api.example.test' && x.port === up.port)).toBeTruthy();
});

test('a credential is required when set: 407, then forwarded without Proxy-Authorization', async () => {
  const q = await startPair({
    networkAllowlist: ['api.example.test', '127.0.0.1/32'],
    credential: { username: 'u', password: 'p' },
  });
  try {
    const no = await curl(['-x', q.httpUrl, '-o', '/dev/null', '-w', '%{http_code}', `http://api.example.test:${up.port}/`]);
    expect(no.stdout).toBe('407');
    const yes = await curl(['-x', q.httpUrl, '--proxy-user', 'u:p', `http://api.example.test:${up.port}/authed`]);
    const seen = JSON.parse(yes.stdout) as Seen;
    expect(seen.url).toBe('/authed');
    expect(seen.headers['proxy-authorization']).toBeUndefined();
    expect(deniedRecords(q.ctx)).toEqual([]);
  } finally {
    await q.pair.close();
  }
});
