// Bring your own proxy (docs/policy.md, "Bring your own proxy"): the variables lead to the user's proxy, none of our lists
// applies (and the result says so); in allowlist posture the namespace stays and a bridge to
// that proxy is the only way out.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { compilePolicy, runSandboxed, type Backend } from '../../sandbox';
import { makeProxyContext } from '../../sandbox/proxy/context';
import { startProxyPair, type ProxyPair } from '../../sandbox/proxy/proxy-pair';
import { RecordLog } from '../../sandbox/proxy/records';
import { startHttpUpstream, type Upstream } from '../support/upstream';

type UserProxy = { port: number; seen: Array<{ url: string; auth: string | undefined }>; close(): Promise<void> };

/** A minimal forward proxy of "the user's": absolute-form GET only, to loopback, and it remembers what it saw. */
function startUserProxy(): Promise<UserProxy> {
  const seen: UserProxy['seen'] = [];
  const server = http.createServer((req, res) => {
    seen.push({ url: req.url ?? '', auth: req.headers['proxy-authorization'] });
    const target = new URL(req.url ?? '');
    http
      .get({ host: '127.0.0.1', port: target.port, path: target.pathname, headers: { host: target.host } }, (up) => {
        res.writeHead(up.statusCode ?? 502, { 'x-user-proxy': 'yes' });
        up.pipe(res);
      })
      .on('error', () => res.writeHead(502).end());
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        seen,
        close: () => new Promise<void>((done) => { server.closeAllConnections(); server.close(() => done()); }),
      }),
    ),
  );
}

let upstream: Upstream;
let userProxy: UserProxy;
// The user's SOCKS5 proxy: a pair of ours on host loopback, open to everything, with its own log.
const userSocksLog = new RecordLog();
let userSocks: ProxyPair;
beforeAll(async () => {
  upstream = await startHttpUpstream('plain');
  userProxy = await startUserProxy();
  userSocks = await startProxyPair(
    makeProxyContext({ policy: compilePolicy({ networkMode: 'open' }), answers: new Map([['socks.example.test', ['127.0.0.1']]]), log: userSocksLog }),
    { http: { host: '127.0.0.1', port: 0 }, socks: { host: '127.0.0.1', port: 0 } },
  );
});
afterAll(async () => {
  await userSocks.close();
  await userProxy.close();
  await upstream.close();
});

describe.each<Backend>(['bubblewrap', 'userns'])('backend %s', (backend) => {
  test('allowlist: the bridge to the user\'s proxy is the only way out, credentials kept', async () => {
    const before = userProxy.seen.length;
    const result = await runSandboxed({
      backend,
      networkMode: 'allowlist',
      networkAllowlist: ['only.example.test'],
      networkProxyUrl: `http://alice:s3cret@127.0.0.1:${userProxy.port}`,
      networkSocksUrl: `socks5h://127.0.0.1:${userSocks.socksPort}`,
      command: ['sh', '-c', [
        'echo "$HTTP_PROXY"',
        'echo "$ALL_PROXY"',
        `curl -sS -x "$ALL_PROXY" http://socks.example.test:${upstream.port}/via-user-socks`,
        `curl -sS -D - http://anything.example.test:${upstream.port}/via-user-proxy`,
        // A client that ignores the variables still has no route anywhere.
        `curl -sS --noproxy '*' --max-time 5 http://127.0.0.1:${upstream.port}/direct; echo "direct=$?"`,
      ].join('\n')],
    });
    expect(result.stdout).toContain('http://alice:s3cret@127.0.0.1:3128');
    expect(result.stdout).toContain('socks5h://127.0.0.1:1080');
    expect(result.stdout).toContain('hello from plain /via-user-socks');
    expect(userSocksLog.snapshot().allowed.some((r) => r.host === 'socks.example.test' && r.proxy === 'socks5')).toBe(true);
    expect(result.stdout).toMatch(/x-user-proxy: yes/i);
    expect(result.stdout).toContain('hello from plain /via-user-proxy');
    expect(result.stdout).toContain('direct=7');
    const seen = userProxy.seen.slice(before);
    expect(seen).toEqual([
      { url: `http://anything.example.test:${upstream.port}/via-user-proxy`, auth: `Basic ${Buffer.from('alice:s3cret').toString('base64')}` },
    ]);
    // Our lists did not apply, and the result says so.
    expect(result.allowed).toEqual([]);
    expect(result.denied).toEqual([]);
    expect(result.policy.proxyUrl).toBe(`http://alice:s3cret@127.0.0.1:${userProxy.port}`);
    expect(result.policy.notes.join(' ')).toMatch(/bring-your-own proxy/i);
  });
});

test('open: the variables name the user\'s proxy directly, on the host network', async () => {
  const before = userProxy.seen.length;
  const proxyUrl = `http://127.0.0.1:${userProxy.port}`;
  const result = await runSandboxed({
    networkMode: 'open',
    networkProxyUrl: proxyUrl,
    command: ['sh', '-c', `echo "$http_proxy"; curl -sS http://named.example.test:${upstream.port}/open-byo`],
  });
  expect(result.stdout.split('\n')[0]).toBe(proxyUrl);
  expect(result.stdout).toContain('hello from plain /open-byo');
  expect(userProxy.seen.slice(before).map((s) => s.url)).toEqual([`http://named.example.test:${upstream.port}/open-byo`]);
});
