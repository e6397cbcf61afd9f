// Every posture, on both namespace backends, with real clients inside the sandbox (curl over HTTP,
// HTTPS through CONNECT, SOCKS5; raw sockets from python3) against real loopback servers.
import { runSandboxed } from '../../sandbox';
import type { Backend, RunOptions } from '../../sandbox';
import { makeCertificate, startHttpsUpstream, startHttpUpstream, type TlsMaterial, type Upstream } from '../support/upstream';

const API = 'api.example.test';
const OTHER = 'other.example.test';

let plain: Upstream;
let secure: Upstream;
let tls: TlsMaterial;

beforeAll(async () => {
  plain = await startHttpUpstream('plain');
  tls = makeCertificate([API, OTHER]);
  secure = await startHttpsUpstream(tls, 'secure');
});

afterAll(async () => {
  await plain.close();
  await secure.close();
  tls.remove();
});

const resolveStatic = new Map([
  [API, ['127.0.0.1']],
  [OTHER, ['127.0.0.1']],
]);

describe.each<Backend>(['bubblewrap', 'userns'])('backend %s', (backend) => {
  const run = (command: string[], options: Partial<RunOptions> = {}) =>
    runSandboxed({ backend, resolveStatic, timeoutSeconds: 20, command, ...options });

  describe('blocked', () => {
    test('only loopback exists, and a connection to the host fails at once', async () => {
      const hitsBefore = plain.hits.length;
      const started = Date.now();
      const result = await run([
        'python3', '-c',
        [
          'import socket, sys',
          's = socket.socket()',
          's.settimeout(5)',
          'try:',
          `    s.connect(("127.0.0.1", ${plain.port}))`,
          '    print("connected")',
          'except OSError as e:',
          '    print("refused", e.errno)',
          'print(sorted(name for _, name in socket.if_nameindex()))',
        ].join('\n'),
      ]);
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toContain('refused 111'); // ECONNREFUSED: the host's server is not in this namespace
      expect(result.stdout).toContain("['lo']");
      expect(Date.now() - started).toBeLessThan(4000);
      expect(result.policy.mode).toBe('blocked');
      expect(result.allowed).toEqual([]);
      expect(result.denied).toEqual([]);
      expect(plain.hits.length).toBe(hitsBefore);
    });

    test('no proxy variables are set and curl cannot leave', async () => {
      const result = await run(['sh', '-c', `env | grep -i _proxy; curl -sS --max-time 5 http://127.0.0.1:${plain.port}/ ; echo "curl=$?"`]);
      expect(result.stdout).not.toMatch(/_proxy/i);
      expect(result.stdout).toContain('curl=7');
    });
  });

  describe('allowlist', () => {
    const allow = { networkMode: 'allowlist' as const, networkAllowlist: [API, '127.0.0.1/32'] };

    test('curl reaches an allowed name over HTTP; another name is refused and recorded', async () => {
      const result = await run(
        ['sh', '-c', `curl -sS http://${API}:${plain.port}/ok; curl -sS -o /dev/null -w '%{http_code}\\n' http://${OTHER}:${plain.port}/no`],
        allow,
      );
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toContain('hello from plain /ok');
      expect(result.stdout).toContain('403');
      expect(result.allowed).toHaveLength(1);
      expect(result.allowed[0]).toMatchObject({ proxy: 'http', host: API, port: plain.port, address: '127.0.0.1', rule: API });
      expect(result.denied).toEqual([
        expect.objectContaining({ proxy: 'http', host: OTHER, port: plain.port, reason: 'not-allowlisted' }),
      ]);
      expect(plain.hits.some((h) => h.includes('/no'))).toBe(false);
    });

    test('HTTPS goes through CONNECT and verifies the upstream certificate', async () => {
      // The certificate's directory is added to the view: nothing of the host is there otherwise.
      const result = await run(['curl', '-sS', '--cacert', tls.cert, `https://${API}:${secure.port}/tls`], { ...allow, readOnlyPaths: [tls.dir] });
      expect(result.stderr).toBe('');
      expect(result.stdout).toContain('hello from secure /tls');
      expect(result.allowed[0]).toMatchObject({ proxy: 'http', host: API, port: secure.port });
      expect(result.allowed[0].bytesDown).toBeGreaterThan(100);
    });

    test('SOCKS5 through ALL_PROXY with socks5h resolves at the proxy', async () => {
      const result = await run(['sh', '-c', `curl -sS -x "$ALL_PROXY" http://${API}:${plain.port}/socks; curl -sS -x "$ALL_PROXY" http://${OTHER}:${plain.port}/x; echo " curl=$?"`], allow);
      expect(result.stdout).toContain('hello from plain /socks');
      expect(result.stdout).toContain('curl=97'); // CURLE_PROXY: the SOCKS5 proxy refused
      expect(result.allowed[0]).toMatchObject({ proxy: 'socks5', host: API });
      expect(result.denied[0]).toMatchObject({ proxy: 'socks5', host: OTHER, reason: 'not-allowlisted' });
    });

    test('a raw socket that ignores the proxy variables fails at once', async () => {
      const started = Date.now();
      const result = await run(['python3', '-c', `import socket\ntry:\n  socket.create_connection(("127.0.0.1", ${plain.port}), timeout=5)\n  print("connected")\nexcept OSError as e:\n  print("refused", e.errno)`], allow);
      expect(result.stdout.trim()).toBe('refused 111');
      expect(Date.now() - started).toBeLessThan(4000);
      expect(plain.hits).not.toContainEqual(expect.stringContaining('raw'));
    });

    test('deny wins over an allowing wildcard', async () => {
      const result = await run(['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', `http://${API}:${plain.port}/`], {
        networkMode: 'allowlist',
        networkAllowlist: ['*.example.test', '127.0.0.1/32'],
        networkDenylist: [API],
      });
      expect(result.stdout).toBe('403');
      expect(result.denied[0]).toMatchObject({ host: API, reason: 'denylisted', rule: API });
    });

    test('the internal-address backstop refuses loopback unless a CIDR allows it explicitly', async () => {
      const cmd = ['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', `http://${API}:${plain.port}/`];
      const refused = await run(cmd, { networkMode: 'allowlist', networkAllowlist: [API] });
      expect(refused.stdout).toBe('403');
      expect(refused.denied[0]).toMatchObject({ host: API, reason: 'internal-address', address: '127.0.0.1' });
      const allowed = await run(cmd, { networkMode: 'allowlist', networkAllowlist: [API, '127.0.0.0/8'] });
      expect(allowed.stdout).toBe('200');
    });

    test('IP spellings are canonicalized before the decision', async () => {
      // 2130706433 is 127.0.0.1; allowed only through the explicit CIDR, recorded canonically.
      // --noproxy '': curl would otherwise match the address against NO_PROXY and go direct.
      const result = await run(['curl', '-sS', '--noproxy', '', '-o', '/dev/null', '-w', '%{http_code}', `http://2130706433:${plain.port}/`], {
        networkMode: 'allowlist',
        networkAllowlist: ['127.0.0.1/32'],
      });
      expect(result.stdout).toBe('200');
      expect(result.allowed[0]).toMatchObject({ host: '127.0.0.1', address: '127.0.0.1' });
    });
  });

  describe('open', () => {
    test('the host network, no proxies without a denylist', async () => {
      const result = await run(['sh', '-c', `env | grep -ci _proxy; curl -sS http://127.0.0.1:${plain.port}/open`], { networkMode: 'open' });
      expect(result.stdout).toContain('hello from plain /open');
      expect(result.stdout.split('\n')[0]).toBe('0');
    });

    test('with a denylist the proxies refuse denied names and pass the rest', async () => {
      const result = await run(
        ['sh', '-c', `curl -sS http://${API}:${plain.port}/fine; curl -sS -o /dev/null -w '%{http_code}' http://${OTHER}:${plain.port}/denied`],
        { networkMode: 'open', networkDenylist: [OTHER] },
      );
      expect(result.stdout).toContain('hello from plain /fine');
      expect(result.stdout).toContain('403');
      expect(result.denied[0]).toMatchObject({ host: OTHER, reason: 'denylisted', rule: OTHER });
      expect(result.policy.notes.join(' ')).toMatch(/not a wall/);
    });
  });
});
