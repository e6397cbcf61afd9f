// Runs the bypass catalogue (catalogue.ts) through every entry point each case applies to, against
// a real proxy pair, a real upstream on loopback (127.0.0.1 and ::1, one port) and, for the
// namespace cases, a real bubblewrap sandbox. Refusals are checked on the wire and in the record.

import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { runSandboxed } from '../../sandbox';
import { canonicalizeHost, compilePolicy, decide, internalRange, isHostProblem } from '../../sandbox/policy';
import type { CompiledPolicy } from '../../sandbox/policy';
import { makeProxyContext } from '../../sandbox/proxy/context';
import type { ProxyContext } from '../../sandbox/proxy/context';
import { startProxyPair } from '../../sandbox/proxy/proxy-pair';
import type { ProxyPair } from '../../sandbox/proxy/proxy-pair';
import { createResolver } from '../../sandbox/proxy/resolver';
import type { DeniedRecord } from '../../sandbox/types';
import { Client, listenLoopback, waitFor } from '../proxy/helpers';
import { ANSWERS, CATALOGUE, FLIPPING, POLICIES, entryPointsOf, outcomeFor } from './catalogue';
import type { Case, DecideCase, EntryPoint, HostCase, NamespaceCase, Outcome, PolicyName, RawHttpCase, RawSocksCase } from './catalogue';
import { catalogueTable } from '../../scripts/catalogue-table';

// ---- the loopback upstream: same port on 127.0.0.1 and ::1 ---------------------------------

type Hit = { family: 'v4' | 'v6'; line: string };
let port = 0;
const hits: Hit[] = [];
const servers: http.Server[] = [];

function upstreamServer(family: 'v4' | 'v6'): http.Server {
  const s = http.createServer((req, res) => {
    hits.push({ family, line: `${req.method} ${req.url} ${req.headers.host}` });
    req.resume();
    req.on('end', () => res.end('catalogue-ok'));
  });
  s.on('connection', (sock: net.Socket) => sock.on('error', () => {}));
  return s;
}

beforeAll(async () => {
  for (let attempt = 0; attempt < 20 && servers.length < 2; attempt++) {
    const v4 = upstreamServer('v4');
    port = await listenLoopback(v4);
    const v6 = upstreamServer('v6');
    const ok = await new Promise<boolean>((resolve) => {
      v6.once('error', () => resolve(false));
      v6.listen(port, '::1', () => resolve(true));
    });
    if (ok) servers.push(v4, v6);
    else v4.close();
  }
  if (servers.length < 2) throw new Error('no port free on both 127.0.0.1 and ::1');
});

afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

// ---- one proxy pair per case, with counting static answers ----------------------------------

type Pair = { ctx: ProxyContext; pair: ProxyPair; lookups: Map<string, number> };

async function startFor(policy: PolicyName | CompiledPolicy, extraAnswers: Record<string, string[]> = {}): Promise<Pair> {
  const lookups = new Map<string, number>();
  const answers = { ...ANSWERS, ...extraAnswers };
  const fixed = createResolver(new Map(Object.entries(answers)));
  const first = createResolver(new Map(Object.entries(FLIPPING).map(([n, [a]]) => [n, a])));
  const later = createResolver(new Map(Object.entries(FLIPPING).map(([n, [, b]]) => [n, b])));
  const ctx: ProxyContext = makeProxyContext({
    policy: typeof policy === 'string' ? compilePolicy(POLICIES[policy]) : policy,
    // Static answers only: a name outside the table is an error here, never a DNS query.
    resolve: (name) => {
      const n = (lookups.get(name) ?? 0) + 1;
      lookups.set(name, n);
      if (FLIPPING[name]) return (n === 1 ? first : later)(name);
      if (!(name in answers)) return Promise.reject(new Error(`test resolver: ${name} is not in the static table`));
      return fixed(name);
    },
    limits: { headersTimeoutMs: 3_000, handshakeTimeoutMs: 3_000, connectTimeoutMs: 2_000 },
  });
  const pair = await startProxyPair(ctx, { http: { host: '127.0.0.1', port: 0 }, socks: { host: '127.0.0.1', port: 0 } });
  return { ctx, pair, lookups };
}

const bracket = (h: string): string => (h.includes(':') && !h.startsWith('[') ? `[${h}]` : h);

function portOf(c: HostCase, p: Pair): number {
  if (c.port === 'http-proxy') return p.pair.httpPort;
  if (c.port === 'socks-proxy') return p.pair.socksPort;
  return c.port ?? port;
}

type Seen = { answer: 'ok' | 'refused' | 'closed'; status?: number; header?: string; rep?: number; body?: string };

const TUNNEL_REQUEST = 'GET /tunnel HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';

async function viaConnect(p: Pair, authority: string): Promise<Seen> {
  const c = await Client.connect(p.pair.httpPort);
  try {
    c.write(Buffer.from(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`, 'utf8'));
    await c.until(() => c.text().includes('\r\n\r\n') || c.ended || c.closed, 5_000);
    const text = c.text();
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
    if (status !== 200) return { answer: status ? 'refused' : 'closed', status, header: /X-Sandbox-Refusal: (\S+)/.exec(text)?.[1] };
    await c.readUntil('\r\n\r\n');
    c.write(TUNNEL_REQUEST);
    await c.waitEnd();
    return { answer: 'ok', status, body: c.text() };
  } finally {
    c.destroy();
  }
}

async function viaAbsolute(p: Pair, authority: string): Promise<Seen> {
  const c = await Client.connect(p.pair.httpPort);
  try {
    c.write(Buffer.from(`GET http://${authority}/absolute HTTP/1.1\r\nHost: ${authority}\r\nConnection: close\r\n\r\n`, 'utf8'));
    await c.waitEnd();
    const text = c.text();
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
    if (status !== 200) return { answer: status ? 'refused' : 'closed', status, header: /X-Sandbox-Refusal: (\S+)/.exec(text)?.[1] };
    return { answer: 'ok', status, body: text };
  } finally {
    c.destroy();
  }
}

async function viaSocks(p: Pair, addr: Buffer, dstPort: number): Promise<Seen> {
  const c = await Client.connect(p.pair.socksPort);
  try {
    c.write(Buffer.from([5, 1, 0]));
    await c.read(2);
    const pb = Buffer.alloc(2);
    pb.writeUInt16BE(dstPort);
    c.write(Buffer.concat([Buffer.from([5, 1, 0]), addr, pb]));
    const rep = (await c.read(10))[1];
    if (rep !== 0) {
      await c.waitEnd();
      return { answer: 'refused', rep };
    }
    c.write(TUNNEL_REQUEST);
    await c.waitEnd();
    return { answer: 'ok', rep, body: c.text() };
  } finally {
    c.destroy();
  }
}

function socksAddress(via: EntryPoint, c: HostCase): Buffer {
  if (via === 'socks-domain') {
    const b = Buffer.from(c.host, 'utf8');
    return Buffer.concat([Buffer.from([3, b.length]), b]);
  }
  if (via === 'socks-ipv4') return Buffer.from([1, ...c.ipv4!.split('.').map(Number)]);
  // 16 bytes from the canonical text (IPv4-mapped comes back as IPv4: put it back in ::ffff:).
  const canon = canonicalizeHost(c.ipv6!);
  if (isHostProblem(canon)) throw new Error(`bad ipv6 ${c.ipv6}`);
  const text = canon.kind === 'ipv4' ? `::ffff:${canon.host}` : canon.host;
  const u = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  const [head, tail] = u.includes('::') ? u.split('::') : [u, ''];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const b = Buffer.alloc(17);
  b[0] = 4;
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), 1 + 2 * i));
  return b;
}

const SOCKS_REFUSAL_REP: Record<string, number> = {
  denylisted: 2, 'not-allowlisted': 2, 'internal-address': 2, malformed: 2, 'resolve-failed': 4, unsupported: 7,
};

async function attempt(c: HostCase, via: EntryPoint, p: Pair): Promise<Seen> {
  const dst = portOf(c, p);
  if (via === 'connect') return viaConnect(p, `${bracket(c.host)}:${dst}`);
  if (via === 'absolute') return viaAbsolute(p, `${bracket(c.host)}:${dst}`);
  return viaSocks(p, socksAddress(via, c), dst);
}

/** Checks one attempt's wire answer and its record against the expected outcome. */
async function check(label: string, p: Pair, before: { allowed: number; denied: number; hits: number }, seen: Seen, want: Outcome, via: EntryPoint): Promise<void> {
  const ctx = p.ctx;
  if ('allowed' in want) {
    expect({ label, answer: seen.answer }).toEqual({ label, answer: 'ok' });
    expect(seen.body).toContain('catalogue-ok');
    const recs = await waitFor(() => {
      const a = ctx.log.snapshot().allowed;
      return a.length > before.allowed ? a.slice(before.allowed) : undefined;
    }, 5_000, `${label}: allowed record`);
    expect({ label, host: recs[0].host, address: recs[0].address }).toEqual({ label, ...want.allowed });
    const family = want.allowed.address.includes(':') ? 'v6' : 'v4';
    expect(hits.slice(before.hits).map((h) => h.family)).toEqual([family]);
    expect(ctx.log.snapshot().denied.length).toBe(before.denied);
    return;
  }
  expect(hits.length).toBe(before.hits); // nothing reached the upstream
  if ('closed' in want) {
    expect(seen.answer).not.toBe('ok');
    return;
  }
  if (!('refused' in want)) throw new Error(`${label}: unexpected outcome kind`);
  expect({ label, answer: seen.answer }).toEqual({ label, answer: 'refused' });
  if (via === 'connect' || via === 'absolute') {
    expect({ label, header: seen.header }).toEqual({ label, header: want.refused });
  } else {
    expect({ label, rep: seen.rep }).toEqual({ label, rep: SOCKS_REFUSAL_REP[want.refused] ?? seen.rep });
  }
  const denied: DeniedRecord[] = ctx.log.snapshot().denied.slice(before.denied);
  // node's own parser refuses some request heads before any target exists: no record then.
  const parserLevel = (via === 'connect' || via === 'absolute') && seen.status === 400 && denied.length === 0;
  if (!parserLevel) expect({ label, reasons: denied.map((d) => d.reason) }).toEqual({ label, reasons: [want.refused] });
}

const snapshot = (p: Pair) => ({ allowed: p.ctx.log.snapshot().allowed.length, denied: p.ctx.log.snapshot().denied.length, hits: hits.length });

// ---- host cases ------------------------------------------------------------------------------

const hostCases = CATALOGUE.filter((c): c is HostCase => c.kind === 'host');

describe('host cases', () => {
  test.each(hostCases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const p = await startFor(c.policy);
    try {
      for (const via of entryPointsOf(c)) {
        p.lookups.clear();
        const before = snapshot(p);
        const seen = await attempt(c, via, p);
        await check(`${c.id} via ${via}`, p, before, seen, outcomeFor(c, via), via);
        if (c.lookups !== undefined) {
          const n = [...p.lookups.values()].reduce((x, y) => x + y, 0);
          expect({ case: c.id, via, lookups: n }).toEqual({ case: c.id, via, lookups: c.lookups });
        }
      }
    } finally {
      await p.pair.close();
    }
  });
});

// ---- hand-written HTTP exchanges -----------------------------------------------------------

const httpCases = CATALOGUE.filter((c): c is RawHttpCase => c.kind === 'http-raw');

describe('HTTP cases', () => {
  test.each(httpCases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const p = await startFor(c.policy);
    try {
      const before = snapshot(p);
      const cl = await Client.connect(p.pair.httpPort);
      cl.write(c.send.replace(/UP/g, String(port)));
      // Read every answer in order; a refusal or Connection: close ends the connection.
      const got: { status: number; reason?: string }[] = [];
      for (let i = 0; i < c.answers.length; i++) {
        const head = await cl.readUntil('\r\n\r\n', 5_000);
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
        const reason = /\r\nX-Sandbox-Refusal: (\S+)/.exec(head)?.[1];
        got.push(reason ? { status, reason } : { status });
        if (status === 200 && !head.startsWith('HTTP/1.1 200 Connection Established')) {
          const len = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? -1);
          if (len >= 0) await cl.read(len);
          else if (/transfer-encoding: chunked/i.test(head)) await cl.readUntil('0\r\n\r\n');
        } else if (status === 200) {
          await cl.waitEnd(); // tunnel: the upstream answered and closed
        } else {
          const len = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0);
          await cl.read(len);
        }
      }
      cl.end();
      await cl.waitClosed().catch(() => cl.destroy());
      cl.destroy();
      expect({ id: c.id, answers: got }).toEqual({ id: c.id, answers: c.answers });
      const sees = (c.upstreamSees ?? []).map((s) => s.replace(/UP/g, String(port)));
      expect({ id: c.id, upstream: hits.slice(before.hits).map((h) => h.line) }).toEqual({ id: c.id, upstream: sees });
      const denied = p.ctx.log.snapshot().denied.slice(before.denied).map((d) => d.reason);
      const refusals = c.answers.filter((a) => a.reason).map((a) => a.reason);
      // Refusals by node's parser (400 before any target is known) leave no record.
      const parser = c.answers.some((a) => a.status === 400 && a.reason === 'malformed') && denied.length === 0;
      if (!parser) expect({ id: c.id, denied }).toEqual({ id: c.id, denied: refusals });
      if ('allowed' in c.expect) {
        const a = await waitFor(() => p.ctx.log.snapshot().allowed.slice(before.allowed)[0], 5_000, 'allowed record');
        expect({ host: a.host, address: a.address }).toEqual(c.expect.allowed);
      }
    } finally {
      await p.pair.close();
    }
  });
});

// ---- hand-written SOCKS exchanges ----------------------------------------------------------

const socksCases = CATALOGUE.filter((c): c is RawSocksCase => c.kind === 'socks-raw');

describe('SOCKS cases', () => {
  test.each(socksCases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const p = await startFor(c.policy);
    try {
      const before = snapshot(p);
      const cl = await Client.connect(p.pair.socksPort);
      const early = c.earlyBody === undefined ? Buffer.alloc(0) : Buffer.concat([
        Buffer.from(`POST /early HTTP/1.1\r\nHost: x\r\nContent-Length: ${c.earlyBody}\r\nConnection: close\r\n\r\n`),
        Buffer.alloc(c.earlyBody, 'a'),
      ]);
      for (const [i, chunk] of c.send.entries()) {
        const bytes = Buffer.from(chunk.flatMap((b) => (b === 'UP' ? [port >> 8, port & 255] : [b])));
        cl.write(i === c.send.length - 1 ? Buffer.concat([bytes, early]) : bytes);
        if (c.send.length > 1) await new Promise((r) => setTimeout(r, 5));
      }
      if (c.id === 'socks-truncated' || c.earlyBody !== undefined) cl.end();
      const t0 = Date.now();
      if (c.earlyBody !== undefined) {
        await cl.waitEnd(5_000);
        expect([...cl.data.subarray(0, 2), cl.data[3]]).toEqual(c.replies);
        expect(cl.text()).toContain('catalogue-ok');
        expect(Date.now() - t0).toBeLessThan(5_000);
        const a = await waitFor(() => p.ctx.log.snapshot().allowed.slice(before.allowed)[0], 5_000, 'allowed record');
        expect(a).toMatchObject({ ...('allowed' in c.expect ? c.expect.allowed : {}), bytesUp: early.length, ended: 'closed' });
        return;
      }
      if ('allowed' in c.expect) {
        const rep = await cl.read(2 + 10);
        expect([...rep.subarray(0, 2), rep[3]]).toEqual(c.replies);
        cl.write(TUNNEL_REQUEST);
        await cl.waitEnd();
        expect(cl.text()).toContain('catalogue-ok');
      } else {
        await cl.waitEnd(5_000);
        const got = cl.data;
        if (c.replies === null) expect([...got]).toEqual([]);
        else if (c.replies.length === 2) expect([...got]).toEqual(c.replies);
        else expect([...got.subarray(0, 2), got[3]]).toEqual(c.replies);
      }
      expect(Date.now() - t0).toBeLessThan(2_000); // refused at once, never left hanging
      cl.destroy();
      const denied = p.ctx.log.snapshot().denied.slice(before.denied).map((d) => d.reason);
      if ('refused' in c.expect) expect(denied).toEqual([c.expect.refused]);
      else expect(denied).toEqual([]);
      if ('allowed' in c.expect) {
        const a = await waitFor(() => p.ctx.log.snapshot().allowed.slice(before.allowed)[0], 5_000, 'allowed record');
        expect({ host: a.host, address: a.address }).toEqual(c.expect.allowed);
        expect(hits.length).toBe(before.hits + 1);
      } else expect(hits.length).toBe(before.hits);
    } finally {
      await p.pair.close();
    }
  });
});

// ---- the edges of every internal range -----------------------------------------------------

const edgeCases = CATALOGUE.filter((c): c is DecideCase => c.kind === 'decide');

describe('internal range edges', () => {
  test.each(edgeCases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const policy = compilePolicy({ networkMode: 'allowlist', networkAllowlist: ['*.edge.example.test'] });
    for (const a of c.inside) {
      expect({ a, range: internalRange(a) }).not.toEqual({ a, range: null });
      const d = decide(policy, { host: 'x.edge.example.test', kind: 'name', port: 443, addresses: [a] });
      expect({ a, d: d.allowed ? 'allowed' : d.reason }).toEqual({ a, d: 'internal-address' });
    }
    for (const [a, label] of c.outside) {
      expect({ a, range: internalRange(a) }).toEqual({ a, range: label });
      const d = decide(policy, { host: 'x.edge.example.test', kind: 'name', port: 443, addresses: [a] });
      const canon = canonicalizeHost(a);
      const want = label !== null ? 'internal-address' : isHostProblem(canon) ? 'bad test address' : canon.host;
      expect({ a, d: d.allowed ? d.address : d.reason }).toEqual({ a, d: want });
    }
    if (c.inside.length === 0) return;
    // Through the proxy: a name per inside address, every one refused before any dial.
    const answers: Record<string, string[]> = {};
    c.inside.forEach((a, i) => (answers[`in${i}.edge.example.test`] = [a]));
    const p = await startFor(policy, answers);
    try {
      for (const name of Object.keys(answers)) {
        for (const via of ['connect', 'socks-domain'] as const) {
          const before = snapshot(p);
          const hc: HostCase = { kind: 'host', id: name, category: 'dns', title: '', policy: 'names', host: name, expect: { refused: 'internal-address' } };
          const seen = await attempt(hc, via, p);
          await check(`${c.id} ${name} via ${via}`, p, before, seen, hc.expect, via);
        }
      }
    } finally {
      await p.pair.close();
    }
  });
});

// ---- from inside a real sandbox ------------------------------------------------------------

const nsCases = CATALOGUE.filter((c): c is NamespaceCase => c.kind === 'namespace');

const PROBE_SCRIPT = `
import json, os, socket, sys, time
PROXYPORT = int(os.environ["HTTP_PROXY"].rsplit(":", 1)[1])
HOSTPORT = int(sys.argv[1])
def connect_via_proxy(host, port):
    s = socket.create_connection(("127.0.0.1", PROXYPORT), timeout=5)
    s.sendall(("CONNECT %s:%d HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n" % (host, port)).encode())
    head = b""
    while b"\\r\\n\\r\\n" not in head:
        b = s.recv(4096)
        if not b: break
        head += b
    if not head.startswith(b"HTTP/1.1 200"):
        reason = [l.split(b": ")[1].decode() for l in head.split(b"\\r\\n") if l.startswith(b"X-Sandbox-Refusal")]
        raise PermissionError(reason[0] if reason else head[:40])
cases = json.loads(sys.argv[2])
for cid, body in cases:
    t0 = time.monotonic()
    out = {"id": cid}
    try:
        exec(body)
        out["result"] = "connected"
    except PermissionError as e:
        out["result"] = "refused"; out["detail"] = str(e)
    except OSError as e:
        out["result"] = "failed"; out["detail"] = e.__class__.__name__ + ":" + str(e.errno)
    out["ms"] = round((time.monotonic() - t0) * 1000)
    print(json.dumps(out), flush=True)
`;

describe('namespace cases', () => {
  test('every probe from inside the sandbox fails at once or is refused', async () => {
    const result = await runSandboxed({
      ...POLICIES.names,
      backend: 'bubblewrap',
      // A run's static answers must be written canonically; the table's deliberately odd DNS
      // answers (mapped addresses and the like) are for the proxies' own resolver, above.
      resolveStatic: new Map(
        Object.entries(ANSWERS).filter(([, addresses]) => addresses.length > 0 && addresses.every((a) => {
          const c = canonicalizeHost(a);
          return !isHostProblem(c) && c.kind !== 'name' && c.host === a;
        })),
      ),
      timeoutSeconds: 30,
      // The script travels in argv: the host's files are not in the view.
      command: ['python3', '-c', PROBE_SCRIPT, String(port), JSON.stringify(nsCases.map((c) => [c.id, c.probe]))],
    });
    expect(result.stderr).toBe('');
    const lines = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; result: string; detail?: string; ms: number });
    expect(lines.map((l) => l.id)).toEqual(nsCases.map((c) => c.id));
    for (const c of nsCases) {
      const l = lines.find((x) => x.id === c.id)!;
      // Failing at once includes being refused the socket itself (no CAP_NET_RAW in the sandbox).
      if ('fails' in c.expect) expect({ id: c.id, result: l.result === 'refused' ? 'failed' : l.result }).toEqual({ id: c.id, result: 'failed' });
      else expect({ id: c.id, result: l.result, detail: l.detail }).toEqual({ id: c.id, result: 'refused', detail: c.expect.refused });
      expect({ id: c.id, fast: l.ms < 1_000 }).toEqual({ id: c.id, fast: true });
    }
    const reasons = result.denied.map((d) => d.reason).sort();
    const expected = nsCases.map((c) => ('refused' in c.expect ? c.expect.refused : c.expect.captured)).filter((r) => r !== undefined);
    expect(reasons).toEqual(expected.sort());
    expect(result.denied.filter((d) => d.proxy === 'transparent').map((d) => d.address).sort()).toEqual(['192.0.2.1', '2001:db8::1']);
  });
});

// ---- the catalogue itself ------------------------------------------------------------------

test('the catalogue has at least 60 cases with unique ids, and docs/catalogue.md has its table', () => {
  const ids = CATALOGUE.map((c: Case) => c.id);
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids.length).toBeGreaterThanOrEqual(60);
  const readme = fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'docs', 'catalogue.md'), 'utf8');
  const m = /<!-- catalogue:start -->\n([\s\S]*?)<!-- catalogue:end -->/.exec(readme);
  expect(m).not.toBeNull();
  expect(m![1]).toBe(catalogueTable());
});
