// Transparent capture under allowlist, on both namespace backends (docs/mechanism.md,
// "Transparent capture"): clients that use no proxy variable at all (python sockets, Node's
// fetch, git://, redis-cli) reach allowed names through the run's decision, and everything else
// is refused at once with a record. Names resolve through the stub DNS to synthetic addresses.
import { runSandboxed } from '../../sandbox';
import type { Backend, RunOptions, RunResult } from '../../sandbox';
import { parseJson, runCli } from '../support/cli';
import { startGitDaemon, startRedis, type TcpServer } from '../support/tcp-servers';
import { startHttpUpstream, type Upstream } from '../support/upstream';

const WEB = 'web.example.test';
const CACHE = 'cache.example.test';
const GIT = 'git.example.test';
const INNER = 'inner.example.test';

/** Every proxy variable unset: the client knows of no proxy. */
const NO_PROXY_VARS = ['env', '-u', 'HTTP_PROXY', '-u', 'http_proxy', '-u', 'HTTPS_PROXY', '-u', 'https_proxy', '-u', 'ALL_PROXY', '-u', 'all_proxy', '-u', 'NODE_USE_ENV_PROXY'];

let web: Upstream;
let redis: TcpServer;
let git: TcpServer & { repo: string };

beforeAll(async () => {
  [web, redis, git] = await Promise.all([startHttpUpstream('web'), startRedis(), startGitDaemon()]);
});
afterAll(async () => {
  await Promise.all([web.close(), redis.close(), git.close()]);
});

const resolveStatic = new Map([WEB, CACHE, GIT, INNER].map((n) => [n, ['127.0.0.1']]));
// The names, and loopback explicitly: the test's servers are internal addresses (the backstop).
const allowlist: Partial<RunOptions> = { networkMode: 'allowlist', networkAllowlist: [WEB, CACHE, GIT, '127.0.0.1'] };

function py(lines: string[]): string[] {
  return [...NO_PROXY_VARS, '/usr/bin/python3', '-c', lines.join('\n')];
}

describe.each<Backend>(['bubblewrap', 'userns'])('backend %s', (backend) => {
  const run = (command: string[], options: Partial<RunOptions> = allowlist): Promise<RunResult> =>
    runSandboxed({ backend, resolveStatic, timeoutSeconds: 30, command, ...options });

  test('python sockets with no proxy variable: the name resolves to a synthetic address and the connection goes through the decision', async () => {
    const result = await run(py([
      'import socket',
      `addr = socket.getaddrinfo("${WEB}", ${web.port}, socket.AF_INET, socket.SOCK_STREAM)[0][4][0]`,
      'print("resolved", addr)',
      `s = socket.create_connection(("${WEB}", ${web.port}), timeout=5)`,
      `s.sendall(b"GET /py HTTP/1.0\\r\\nHost: ${WEB}\\r\\n\\r\\n")`,
      'data = b""',
      'while True:',
      '    chunk = s.recv(4096)',
      '    if not chunk: break',
      '    data += chunk',
      'print(data.decode().splitlines()[0])',
      'print(data.decode().splitlines()[-1])',
    ]));
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^resolved 198\.1[89]\.\d+\.\d+\nHTTP\/1\.[01] 200 OK\nhello from web \/py\n$/);
    expect(result.allowed).toEqual([
      expect.objectContaining({ proxy: 'transparent', host: WEB, port: web.port, address: '127.0.0.1', rule: WEB }),
    ]);
    expect(result.allowed[0].bytesDown).toBeGreaterThan(result.allowed[0].bytesUp);
    expect(result.denied).toEqual([]);
    expect(result.policy.capture).toEqual({ tcp: 'all', dns: '127.0.0.1:53', ipv6: true, syntheticRange: '198.18.0.0/15', aaaa: 'nodata' });
    expect(web.hits).toContainEqual(`GET ${WEB} /py`);
  });

  test("Node's fetch with no proxy variable", async () => {
    const result = await run([...NO_PROXY_VARS, 'node', '-e', `fetch("http://${WEB}:${web.port}/node").then(async (r) => console.log(r.status, (await r.text()).trim()))`]);
    expect(result.stdout).toBe('200 hello from web /node\n');
    expect(result.allowed).toEqual([expect.objectContaining({ proxy: 'transparent', host: WEB })]);
  });

  test('git clone over git:// from a git daemon', async () => {
    const result = await run([...NO_PROXY_VARS, 'sh', '-c', `git clone -q git://${GIT}:${git.port}/${git.repo} copy && cat copy/README`], {
      ...allowlist, env: { HOME: '/tmp' },
    });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('served by git daemon\n');
    expect(result.allowed).toEqual([expect.objectContaining({ proxy: 'transparent', host: GIT, port: git.port })]);
  });

  test('redis-cli against a redis-server', async () => {
    const result = await run([...NO_PROXY_VARS, 'sh', '-c', `redis-cli -h ${CACHE} -p ${redis.port} SET k v && redis-cli -h ${CACHE} -p ${redis.port} GET k`]);
    expect(result.stdout).toBe('OK\nv\n');
    expect(result.allowed).toHaveLength(2);
    for (const a of result.allowed) expect(a).toMatchObject({ proxy: 'transparent', host: CACHE, port: redis.port });
  });

  test('a refused name: NXDOMAIN from the stub DNS, and a record', async () => {
    const result = await run(py([
      'import socket',
      'try:',
      '    socket.getaddrinfo("elsewhere.example.test", 80)',
      '    print("resolved")',
      'except socket.gaierror as e:',
      '    print("gaierror", e.errno == socket.EAI_NONAME)',
    ]));
    expect(result.stdout).toBe('gaierror True\n');
    expect(result.denied).toEqual([
      expect.objectContaining({ proxy: 'dns', host: 'elsewhere.example.test', port: 53, reason: 'not-allowlisted' }),
    ]);
  });

  test('a refused literal address: reset at once, and a record', async () => {
    const started = Date.now();
    const result = await run(py([
      'import socket, time',
      't = time.time()',
      'try:',
      '    s = socket.create_connection(("10.255.255.1", 5432), timeout=10)',
      '    s.sendall(b"x")',
      '    print("read", s.recv(1))',
      'except OSError as e:',
      '    print("failed", e.errno in (104, 111), round(time.time() - t, 1) < 1)',
    ]));
    expect(result.stdout).toBe('failed True True\n');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.denied).toEqual([
      expect.objectContaining({ proxy: 'transparent', host: '10.255.255.1', port: 5432, reason: 'not-allowlisted', address: '10.255.255.1' }),
    ]);
  });

  test('an allowed name resolving to an internal address is refused by the backstop', async () => {
    const result = await run(py([
      'import socket',
      'try:',
      `    s = socket.create_connection(("${INNER}", ${web.port}), timeout=10)`,
      '    s.sendall(b"GET / HTTP/1.0\\r\\n\\r\\n")',
      '    print("read", s.recv(100))',
      'except OSError as e:',
      '    print("failed", e.errno)',
    ]), { networkMode: 'allowlist', networkAllowlist: [INNER] });
    expect(result.stdout).toMatch(/^(failed 104|read b'')\n$/);
    expect(result.denied).toEqual([
      expect.objectContaining({ proxy: 'transparent', host: INNER, reason: 'internal-address', address: '127.0.0.1', rule: INNER }),
    ]);
  });

  test('DNS over TCP answers the same; AAAA gets no answer; nothing but the stub answers DNS', async () => {
    const result = await run(py([
      'import socket, struct',
      'def q(name, qtype):',
      '    body = struct.pack(">HHHHHH", 7, 0x0100, 1, 0, 0, 0) + b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\\0" + struct.pack(">HH", qtype, 1)',
      '    return body',
      's = socket.create_connection(("127.0.0.1", 53), timeout=5)',
      `m = q("${WEB}", 1)`,
      's.sendall(struct.pack(">H", len(m)) + m)',
      'n = struct.unpack(">H", s.recv(2))[0]',
      'r = s.recv(n)',
      'print("tcp", r[3] & 15, struct.unpack(">H", r[6:8])[0], ".".join(str(b) for b in r[-4:]))',
      'u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
      'u.settimeout(5)',
      `u.sendto(q("${WEB}", 28), ("127.0.0.1", 53))`,
      'r = u.recv(512)',
      'print("aaaa", r[3] & 15, struct.unpack(">H", r[6:8])[0])',
      'try:',
      `    u.sendto(q("${WEB}", 1), ("192.0.2.53", 53))`,
      '    print("sent")',
      'except OSError as e:',
      '    print("refused", e.errno)',
    ]));
    // UDP anywhere but the stub is dropped on its way out: sendto fails at once with EPERM.
    expect(result.stdout).toMatch(/^tcp 0 1 198\.1[89]\.\d+\.\d+\naaaa 0 0\nrefused 1\n$/);
  });

  test('clients that use the proxy variables keep using the proxies, and the records say which path each took', async () => {
    const result = await run(['sh', '-c', [
      `curl -sS -o /dev/null -w '%{http_code} ' http://${WEB}:${web.port}/via-proxy`,
      `${NO_PROXY_VARS.join(' ')} curl -sS -o /dev/null -w '%{http_code}\\n' http://${WEB}:${web.port}/direct`,
    ].join('; ')]);
    expect(result.stdout).toBe('200 200\n');
    expect(result.allowed.map((a) => a.proxy).sort()).toEqual(['http', 'transparent']);
  });

  test('the command cannot undo the capture: routes, links and rules are not its to change', async () => {
    const result = await run(['sh', '-c', [
      'ip route del local 0.0.0.0/0 dev lo table local 2>&1 | head -1',
      'ip link set lo down 2>&1 | head -1',
      'ip rule add from all lookup main priority 1 2>&1 | head -1',
      `${NO_PROXY_VARS.join(' ')} curl -sS -o /dev/null -w '%{http_code}\n' http://${WEB}:${web.port}/still`,
    ].join('; ')]);
    expect(result.stdout.split('\n').slice(0, 3)).toEqual([
      expect.stringMatching(/Operation not permitted/), expect.stringMatching(/Operation not permitted/), expect.stringMatching(/Operation not permitted/),
    ]);
    expect(result.stdout.split('\n')[3]).toBe('200');
    expect(result.allowed).toEqual([expect.objectContaining({ proxy: 'transparent', host: WEB })]);
  });

  test('blocked and open runs have no capture', async () => {
    const blocked = await run(['true'], { networkMode: 'blocked' });
    expect(blocked.policy.capture).toBeNull();
  });
});

describe('an unprivileged caller (nobody), through the CLI', () => {
  test.each<Backend>(['bubblewrap', 'userns'])('backend %s: a python socket with no proxy variable reaches the allowed name; another is refused', async (backend) => {
    if (process.getuid?.() !== 0) return; // the suite runs as root in CI; as another user this is the test above
    const r = await runCli([
      'run', '--backend', backend, '--network', 'allowlist', '--allow', WEB, '--allow', '127.0.0.1', '--resolve', `${WEB}=127.0.0.1`, '--json', '--',
      ...py([
        'import socket',
        `s = socket.create_connection(("${WEB}", ${web.port}), timeout=5)`,
        `s.sendall(b"GET /nobody HTTP/1.0\\r\\nHost: ${WEB}\\r\\n\\r\\n")`,
        'print(s.recv(12).decode())',
        'try:',
        '    socket.getaddrinfo("nope.example.test", 80)',
        'except socket.gaierror:',
        '    print("nxdomain")',
      ]),
    ], { uid: 65534, gid: 65534, env: { PATH: process.env.PATH, HOME: '/tmp' } });
    const result = parseJson(r);
    expect(result.stdout).toMatch(/^HTTP\/1\.[01] 200\nnxdomain\n$/);
    expect(result.policy.backstops.hostUid).toBe(65534);
    expect(result.allowed).toEqual([expect.objectContaining({ proxy: 'transparent', host: WEB })]);
    expect(result.denied).toEqual([expect.objectContaining({ proxy: 'dns', host: 'nope.example.test' })]);
  });
});

describe('temporal-sandbox learn', () => {
  test('a run that reaches three names prints exactly those, with their ports', async () => {
    const r = await runCli([
      'learn', '--allow', '127.0.0.1',
      ...[WEB, CACHE, GIT].flatMap((n) => ['--resolve', `${n}=127.0.0.1`]),
      '--', ...NO_PROXY_VARS, 'sh', '-c', [
        `curl -sS -o /dev/null http://${WEB}:${web.port}/`,
        `redis-cli -h ${CACHE} -p ${redis.port} PING`,
        `HOME=/tmp git ls-remote git://${GIT}:${git.port}/${git.repo} >/dev/null`,
        `curl -sS -o /dev/null http://${WEB}:${web.port}/again`,
      ].join(' && '),
    ]);
    expect(r.stdout).toBe('PONG\n');
    expect(r.code).toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toBe('temporal-sandbox: learned from 4 connections (report mode: every public destination was allowed)');
    expect(lines[1]).toBe(`--allow ${CACHE}:${redis.port} --allow ${GIT}:${git.port} --allow ${WEB}:${web.port}`);
    // The servers are on loopback: the names alone would meet the backstop, and learn says so.
    expect(lines.slice(2)).toEqual([CACHE, GIT, WEB].map((n) => expect.stringContaining(`${n} resolved to 127.0.0.1, an internal address`)));
  });

  test('--json gives the suggestion as data beside the result; a denylisted name is refused and not suggested', async () => {
    const r = await runCli([
      'learn', '--json', '--allow', '127.0.0.1', '--deny', 'evil.example.test', '--resolve', `${WEB}=127.0.0.1`,
      '--', ...NO_PROXY_VARS, 'sh', '-c', `curl -sS -o /dev/null http://${WEB}:${web.port}/; curl -sS http://evil.example.test/ || true`,
    ]);
    expect(r.code).toBe(0);
    const out = parseJson(r) as unknown as { learned: { entries: string[]; notSuggested: { host: string; reason: string }[] }; result: RunResult };
    expect(out.learned.entries).toEqual([`${WEB}:${web.port}`]);
    expect(out.learned.notSuggested).toEqual([expect.objectContaining({ host: 'evil.example.test', reason: 'denylisted' })]);
    expect(out.result.policy.report).toBe(true);
  });

  test('learn refuses a --network of its own', async () => {
    const r = await runCli(['learn', '--network', 'open', '--', 'true']);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain('learn runs in allowlist posture');
  });
});
