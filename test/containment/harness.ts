// Shared by the containment tests: real callers in processes of their own (a worker script and
// the CLI, as root or as nobody), and host-side servers that record whatever reaches them.
//
// The tests may run as root (CI) or as an ordinary user (a developer's `npm test`). As root they
// impersonate four callers; the unprivileged ones switch to nobody. As any other user the
// unprivileged callers are the test user itself (no uid switch), and what needs root (a root
// worker, the root CLI, a chown to another user, another uid's processes) is skipped, titled so.
import { spawn, type StdioOptions } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, type Dirent } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { RunOptions, RunResult } from '../../sandbox';
import { CLI } from '../support/cli';

/** The uid (and gid) the unprivileged callers switch to under a root test process. */
const NOBODY = 65534;
export const AS_ROOT = process.getuid?.() === 0;
/** The host uid and gid of the unprivileged callers: nobody under root, else the test user itself. */
export const UNPRIVILEGED = AS_ROOT ? NOBODY : process.getuid!();
export const UNPRIVILEGED_GID = AS_ROOT ? NOBODY : process.getgid!();
/** Appended to the title of what is skipped under a non-root test user. */
export const NEEDS_ROOT = `(skipped: needs root; the tests run as uid ${process.getuid?.()})`;
/** `describe`, or under a non-root test user `describe.skip` with the reason in its title. */
export function describeAsRoot(title: string, fn: () => void): void {
  if (AS_ROOT) describe(title, fn);
  else describe.skip(`${title} ${NEEDS_ROOT}`, fn);
}
/** `test`, or under a non-root test user `test.skip` with the reason in its title. */
export function testAsRoot(title: string, fn: () => unknown, timeout?: number): void {
  if (AS_ROOT) test(title, fn as jest.ProvidesCallback, timeout);
  else test.skip(`${title} ${NEEDS_ROOT}`, fn as jest.ProvidesCallback, timeout);
}
export const RANGE_FIRST = 1_000_000_000;
export const RANGE_COUNT = 65_536;
/** The runs' own python (the view has /usr/bin/python3; the host PATH starts with pyenv's). */
export const VIEW_PYTHON = '/usr/bin/python3';
/** dist/test/containment/run-probe.js, next to this file once compiled. */
export const WORKER_SCRIPT = path.join(__dirname, 'run-probe.js');

/**
 * The stray descriptor a caller starts with. Node marks its inherited descriptors 0-15 (and any
 * contiguous after them) close-on-exec at startup (uv_disable_stdio_inheritance), so 7 would
 * never reach a child whatever the helper does; 20, after a gap, stays inheritable.
 */
export const LEAK_FD = 20;

export type Caller = 'root worker' | 'root CLI' | 'nobody worker' | 'nobody CLI';
export const ALL_CALLERS: readonly Caller[] = ['root worker', 'root CLI', 'nobody worker', 'nobody CLI'];
export const isNobody = (c: Caller) => c.startsWith('nobody');
export const isCli = (c: Caller) => c.endsWith('CLI');
/** The callers this test process can be: all four under root, the two unprivileged ones otherwise. */
export const CALLERS: readonly Caller[] = AS_ROOT ? ALL_CALLERS : ALL_CALLERS.filter(isNobody);
/** The ones it cannot be (none under root). */
export const ROOT_ONLY_CALLERS: readonly Caller[] = ALL_CALLERS.filter((c) => !CALLERS.includes(c));

/** What a worker job may say: RunOptions as JSON (resolveStatic as an object). */
export type WorkerJob = Omit<RunOptions, 'resolveStatic' | 'signal' | 'onOutput' | 'pool'> & {
  resolveStatic?: Record<string, string[]>;
};
export type WorkerOutcome = { result?: RunResult; error?: { name: string; type?: string; message: string }; ms: number };
export type WorkerSpec = { runs: WorkerJob[]; parallel?: boolean; controlFd?: number };

export type Scratch = { dir: string; sub(name: string, owner?: number, mode?: number): string; remove(): void };

/**
 * A temp dir every test user can traverse; subdirs owned by whom a test needs. An owner of
 * UNPRIVILEGED gets UNPRIVILEGED_GID as group; under a non-root test user that is the test user
 * itself (the chown changes nothing), and any other owner needs root.
 */
export function makeScratch(prefix: string): Scratch {
  const dir = mkdtempSync(path.join(realpathSync(tmpdir()), prefix));
  chmodSync(dir, 0o755);
  return {
    dir,
    sub(name, owner, mode = 0o755) {
      const p = path.join(dir, name);
      mkdirSync(p, { recursive: true });
      chmodSync(p, mode);
      if (owner !== undefined) chownSync(p, owner, owner === UNPRIVILEGED ? UNPRIVILEGED_GID : owner);
      return p;
    },
    remove() {
      // A command may leave a dir of mode 0 in it (the escape probe does): root removes it anyway,
      // its owner has to open it first.
      if (!AS_ROOT) openUp(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Makes the test user's own dirs under `dir` theirs to list and empty again (links are not followed). */
function openUp(dir: string): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return; // not ours: rmSync says so
  }
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const p = path.join(dir, e.name);
    try {
      chmodSync(p, 0o700);
    } catch {
      // not ours
    }
    openUp(p);
  }
}

export type Spawned = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

type SpawnOptions = {
  uid?: number;
  gid?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Passed as descriptor LEAK_FD (not close-on-exec): it must never reach a command. */
  leak?: net.Socket;
  timeoutMs?: number;
};

export function spawnNode(args: string[], o: SpawnOptions = {}): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const stdio: StdioOptions = ['ignore', 'pipe', 'pipe'];
    if (o.leak) {
      while (stdio.length < LEAK_FD) stdio.push('ignore');
      stdio.push(o.leak);
    }
    const child = spawn(process.execPath, args, {
      cwd: o.cwd ?? '/',
      env: o.env ?? { PATH: process.env.PATH },
      uid: o.uid,
      gid: o.gid,
      stdio,
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c) => (stdout += c));
    child.stderr!.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The environment a test user's process starts with. */
export function callerEnv(nobody: boolean, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: nobody ? '/tmp' : (process.env.HOME ?? '/root'), TMPDIR: realpathSync(tmpdir()), ...extra };
}

/** The spawn ids of an unprivileged caller: nobody's under root; none (the test user's own) otherwise. */
const unprivilegedIds = (nobody: boolean | undefined) => (nobody && AS_ROOT ? { uid: NOBODY, gid: NOBODY } : {});

/** Runs jobs in a worker process of the tests' own (runSandboxed() without runAs unless given). */
export async function runWorker(spec: WorkerSpec, o: SpawnOptions & { nobody?: boolean } = {}): Promise<WorkerOutcome[]> {
  const ids = unprivilegedIds(o.nobody);
  const r = await spawnNode([WORKER_SCRIPT, JSON.stringify(spec)], { env: callerEnv(!!o.nobody), ...ids, ...o });
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`the worker printed no JSON (exit ${r.code}, ${r.signal}):\n${r.stdout}\n${r.stderr}`);
  }
}

/** `temporal-sandbox run --json ARGS` as a real child process; cwd is its work dir. */
export async function runCliJson(args: string[], o: SpawnOptions & { nobody?: boolean } = {}): Promise<{ code: number | null; result: RunResult; stderr: string }> {
  const ids = unprivilegedIds(o.nobody);
  const r = await spawnNode([CLI, 'run', '--json', ...args], { env: callerEnv(!!o.nobody), ...ids, ...o });
  try {
    return { code: r.code, result: JSON.parse(r.stdout), stderr: r.stderr };
  } catch {
    throw new Error(`the CLI printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
}

/** A server that records every connection and every byte; nothing answers. */
export type Recorder = { address: string; port: number; connections: number; data: string[]; close(): Promise<void> };

export function startRecorder(where: { port: 0; host: string } | { path: string }): Promise<Recorder> {
  const sockets = new Set<net.Socket>();
  const rec: Recorder = { address: '', port: 0, connections: 0, data: [], close: async () => {} };
  const server = net.createServer((s) => {
    rec.connections++;
    sockets.add(s);
    s.on('data', (d) => rec.data.push(d.toString()));
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  rec.close = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = () => {
      const a = server.address();
      if (a && typeof a === 'object') {
        rec.address = a.address;
        rec.port = a.port;
      } else {
        rec.address = String(a);
      }
      resolve(rec);
    };
    if ('path' in where) server.listen(where.path, done);
    else server.listen(where.port, where.host, done);
  });
}

/** A client socket connected to `port`, to hand to a child as a stray descriptor. */
export function connectTo(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
}

export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Waits until `check` holds (cleanup after a run may take a moment), or returns its last value. */
export async function settle<T>(read: () => T, ok: (v: T) => boolean, ms = 3000): Promise<T> {
  const end = Date.now() + ms;
  let v = read();
  while (!ok(v) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    v = read();
  }
  return v;
}

/** Processes on the host whose real uid is `uid`. */
export function processesOfUid(uid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const m = /^Uid:\s+(\d+)/m.exec(status);
      const state = /^State:\s+(\S)/m.exec(status)?.[1];
      if (m && Number(m[1]) === uid && state !== 'Z') found.push(Number(entry));
    } catch {
      // gone while we looked
    }
  }
  return found;
}

/** A host process of the test's own that counts the SIGUSR2 it gets (a Jest test cannot trap signals itself). */
export type SignalTarget = { pid: number; count(): number; stop(): Promise<void> };

export function startSignalTarget(): Promise<SignalTarget> {
  const child = spawn(process.execPath, ['-e', "process.on('SIGUSR2', () => process.stdout.write('usr2\\n')); process.stdout.write('ready\\n'); setInterval(() => {}, 1 << 30);"], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.stdout!.on('data', (c) => {
      out += c;
      if (out.startsWith('ready\n') && child.pid) {
        resolve({
          pid: child.pid,
          count: () => out.split('\n').filter((l) => l === 'usr2').length,
          stop: () =>
            new Promise<void>((r) => {
              if (child.exitCode !== null || child.signalCode !== null) return r();
              child.once('exit', () => r());
              child.kill('SIGKILL');
            }),
        });
      }
    });
  });
}
