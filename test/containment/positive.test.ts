// The controls still work inside the view, on both backends, for a root worker (this process)
// and an unprivileged one (a worker process run as nobody): python3 and node run, curl reaches
// an allowed loopback upstream through the proxy, and pip installs a real wheel from an index of
// the test's own into a venv in the work dir, which a later blocked run imports. Under a non-root
// test user the unprivileged worker is that user, and the root worker (runAs with ids) is skipped.
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { runSandboxed, type Backend, type RunResult } from '../../sandbox';
import { buildWheel, startPythonIndex, type PythonIndex, type Wheel } from '../../fixtures/python-index';
import { startHttpUpstream, type Upstream } from '../support/upstream';
import { AS_ROOT, NEEDS_ROOT, RANGE_COUNT, RANGE_FIRST, UNPRIVILEGED, makeScratch, runWorker, type Scratch, type WorkerJob } from './harness';

const BACKENDS: readonly Backend[] = ['bubblewrap', 'userns'];
const ALL_CALLERS = ['root worker', 'nobody worker'] as const;
type Caller = (typeof ALL_CALLERS)[number];
/** The root worker runs as RUN_AS over a work dir chowned to it: root only. */
const CALLERS: readonly Caller[] = AS_ROOT ? ALL_CALLERS : ['nobody worker'];
const API = 'api.example.test';
const PKGS = 'pkgs.example.test';
const PKG = 'sbx_containment_pkg';
/** A fixed identity for the root worker's two runs over one work dir (outside the fresh-id range). */
const RUN_AS = 999_000_123;

let upstream: Upstream;
let index: PythonIndex;
let wheel: Wheel;
let scratch: Scratch;
type Runs = { tools: RunResult; install: RunResult; imported: RunResult; workdir: string };
const results = new Map<string, Runs | Error>();

function jobs(backend: Backend, workdir: string, runAs: WorkerJob['runAs']): WorkerJob[] {
  const resolveStatic = { [API]: ['127.0.0.1'], [PKGS]: ['127.0.0.1'] };
  const allowlist = { networkMode: 'allowlist' as const, networkAllowlist: [API, PKGS, '127.0.0.1/32'], resolveStatic };
  return [
    {
      backend, ...allowlist, timeoutSeconds: 30,
      command: ['sh', '-c', `python3 -c 'print(6 * 7)'; node -e 'console.log(process.version)'; curl -sS http://${API}:${upstream.port}/through-proxy`],
    },
    {
      // pip ignores a plain-HTTP index unless its host is trusted.
      backend, ...allowlist, workdir, runAs, timeoutSeconds: 90,
      command: ['sh', '-c', `python3 -m venv .venv && .venv/bin/pip install --disable-pip-version-check --no-cache-dir --trusted-host ${PKGS} --index-url http://${PKGS}:${index.port}/simple/ ${PKG}`],
    },
    {
      backend, networkMode: 'blocked', workdir, runAs, timeoutSeconds: 30,
      command: ['.venv/bin/python', '-c', `import ${PKG} as m; print(m.VALUE, m.__file__)`],
    },
  ];
}

async function asRootWorker(backend: Backend): Promise<void> {
  const workdir = scratch.sub(`root-${backend}`, RUN_AS);
  const [tools, install, imported] = jobs(backend, workdir, { uid: RUN_AS, gid: RUN_AS });
  const run = (j: WorkerJob) => runSandboxed({ ...j, resolveStatic: j.resolveStatic && new Map(Object.entries(j.resolveStatic)) });
  results.set(`root worker|${backend}`, { tools: await run(tools), install: await run(install), imported: await run(imported), workdir });
}

async function asNobodyWorker(backend: Backend): Promise<void> {
  const workdir = scratch.sub(`nobody-${backend}`, UNPRIVILEGED);
  const out = await runWorker({ runs: jobs(backend, workdir, undefined) }, { nobody: true, timeoutMs: 150_000 });
  const bad = out.find((o) => o.error);
  if (bad) throw new Error(`${bad.error!.name}: ${bad.error!.message}`);
  results.set(`nobody worker|${backend}`, { tools: out[0].result!, install: out[1].result!, imported: out[2].result!, workdir });
}

beforeAll(async () => {
  upstream = await startHttpUpstream('positive');
  wheel = buildWheel(PKG);
  index = await startPythonIndex([wheel]);
  scratch = makeScratch('sbx-pos-');
  const record = (key: string, p: Promise<void>) => p.catch((err: Error) => void results.set(key, err));
  // The two callers side by side; each caller's backends one after the other.
  await Promise.all([
    (async () => {
      if (AS_ROOT) for (const b of BACKENDS) await record(`root worker|${b}`, asRootWorker(b));
    })(),
    (async () => {
      for (const b of BACKENDS) await record(`nobody worker|${b}`, asNobodyWorker(b));
    })(),
  ]);
}, 180_000);

afterAll(async () => {
  await upstream?.close();
  await index?.close();
  scratch?.remove();
});

function get(caller: Caller, backend: Backend): Runs {
  const r = results.get(`${caller}|${backend}`);
  if (!r) throw new Error('not run');
  if (r instanceof Error) throw r;
  return r;
}

function callerTests(caller: Caller): void {
  describe.each(BACKENDS)('backend %s', (backend) => {
    test('python3 and node run; curl reaches an allowed loopback upstream through the proxy', () => {
      const { tools } = get(caller, backend);
      expect(tools.stderr).toBe('');
      const [answer, version, body] = tools.stdout.split('\n');
      expect(answer).toBe('42');
      expect(version).toMatch(/^v\d+\.\d+\.\d+$/);
      expect(body).toBe('hello from positive /through-proxy');
      expect(tools.exitCode).toBe(0);
      expect(tools.allowed).toEqual([expect.objectContaining({ proxy: 'http', host: API, port: upstream.port, address: '127.0.0.1' })]);
      const uid = tools.policy.backstops.hostUid;
      if (caller === 'nobody worker') expect(uid).toBe(UNPRIVILEGED);
      else expect(uid >= RANGE_FIRST && uid < RANGE_FIRST + RANGE_COUNT).toBe(true); // a fresh id of the range
    });

    test('a venv in the work dir, pip install of a real wheel from the test index through the proxy, imported by a later blocked run', () => {
      const { install, imported, workdir } = get(caller, backend);
      expect(install.exitCode).toBe(0);
      expect(install.stdout).toContain(`Successfully installed ${PKG}-1.0`);
      expect(install.workdir).toBe(workdir);
      expect(install.policy.backstops.hostUid).toBe(caller === 'nobody worker' ? UNPRIVILEGED : RUN_AS);
      expect(install.allowed.length).toBeGreaterThanOrEqual(2); // the project page, then the wheel
      expect(install.allowed.every((r) => r.host === PKGS && r.address === '127.0.0.1')).toBe(true);
      expect(install.denied).toEqual([]);
      expect(index.hits).toEqual(expect.arrayContaining([`GET ${PKGS}:${index.port} /files/${wheel.filename}`]));
      // The wheel's files are in the work dir on the host, owned by the run's user.
      const lib = path.join(workdir, '.venv', 'lib');
      const site = readdirSync(lib).map((v) => path.join(lib, v, 'site-packages', PKG, '__init__.py'));
      expect(site.some((p) => existsSync(p))).toBe(true);

      expect(imported.policy.mode).toBe('blocked');
      expect(imported.exitCode).toBe(0);
      expect(imported.stdout).toMatch(new RegExp(`^${PKG} 1\\.0 ${workdir}/\\.venv/lib/python3\\.\\d+/site-packages/${PKG}/__init__\\.py\\n$`));
    });
  });
}

describe.each(CALLERS)('%s', callerTests);
for (const caller of ALL_CALLERS.filter((c) => !CALLERS.includes(c))) describe.skip(`${caller} ${NEEDS_ROOT}`, () => callerTests(caller));
