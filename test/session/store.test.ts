// A SessionStore's lifecycle on a real runner: closing (by call, by sessionTimeout, or all at
// once) ends the session's runs in flight and then removes its work dir, and a later call is
// SandboxSessionLost saying why; maxSessions bounds what is held; a session's ceiling is checked
// under the worker's at open and is the ceiling of each of its runs, which cannot widen it.
import { existsSync, mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { SandboxPolicyError, SandboxSessionLost, SandboxSessionsFull } from '../../sandbox/errors';
import type { SessionRunOptions } from '../../sandbox/session/store';
import { settle } from '../containment/harness';
import { processesWith, uniqueMarker } from '../support/processes';
import { makeStore, sessionDir, sessionDirs, sh, thrown, type Held } from './harness';

const stores: Held[] = [];
/** A store closed after the test file. */
function store(o: Parameters<typeof makeStore>[0] = {}): Held {
  const h = makeStore(o);
  stores.push(h);
  return h;
}
afterAll(() => Promise.all(stores.map((h) => h.close())));

/** The SandboxSessionLost that `fn` throws, and its message. */
function lost(fn: () => unknown, sessionId: string): string {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(SandboxSessionLost);
  expect((err as SandboxSessionLost).sessionId).toBe(sessionId);
  return err.message;
}

// A run in flight below has a timeout of its own of 10 s: were the session's end not to stop it,
// it would end as 'timeout' (not 'cancelled'), and late.

test('close removes the work dir; every later call is SandboxSessionLost saying the session was closed', async () => {
  const { store: s } = store();
  const { sessionId, workdir } = s.open({});
  expect(workdir).toBe('/workspace');
  s.putFile(sessionId, 'a/b', Buffer.from('x'));
  const dir = sessionDir(sessionId);
  expect(existsSync(path.join(dir, 'a/b'))).toBe(true);
  expect(await s.close(sessionId)).toBe(true);
  expect(existsSync(dir)).toBe(false);
  expect(await s.close(sessionId)).toBe(false);
  const said = `session ${sessionId} was closed: open a new session and repeat its set-up`;
  expect(lost(() => s.getFile(sessionId, 'a/b'), sessionId)).toBe(said);
  expect(lost(() => s.putFile(sessionId, 'c', Buffer.from('y')), sessionId)).toBe(said);
  await expect(s.run(sessionId, { command: ['true'] })).rejects.toThrow(new SandboxSessionLost(sessionId, said));
  expect(s.size).toBe(0);
});

test('an id this store never held is SandboxSessionLost, not held by this worker', async () => {
  const { store: s } = store();
  expect(lost(() => s.getFile('0123456789abcdef', 'x'), '0123456789abcdef')).toMatch(
    /^session 0123456789abcdef is not held by this worker \(an earlier life of the worker held it, or another worker\): open a new session/,
  );
  // Whatever a payload carries: a non-string id, or one with control characters (shown escaped).
  expect(lost(() => s.putFile(42 as unknown as string, 'x', Buffer.alloc(0)), '42')).toMatch(/session 42 is not held/);
  expect(lost(() => s.getFile('a\nb', 'x'), 'a\\nb')).toMatch(/^session a\\nb is not held/);
  await expect(s.run('nope', { command: ['true'] })).rejects.toBeInstanceOf(SandboxSessionLost);
});

test('sessionTimeout ends the session: its run in flight is ended, its dir removed, a later call names the timeout', async () => {
  const { store: s } = store();
  const marker = uniqueMarker();
  const opened = s.open({}, { timeoutSeconds: 1 });
  expect(Date.parse(opened.expiresAt) - Date.now()).toBeGreaterThan(500);
  expect(Date.parse(opened.expiresAt) - Date.now()).toBeLessThanOrEqual(1000);
  const dir = sessionDir(opened.sessionId);
  const started = Date.now();
  const result = await s.run(opened.sessionId, { command: ['sleep', marker], timeoutSeconds: 10 });
  expect(result.termination).toBe('cancelled');
  expect(Date.now() - started).toBeLessThan(5000);
  expect(await settle(() => existsSync(dir), (there) => !there)).toBe(false);
  expect(lost(() => s.getFile(opened.sessionId, 'x'), opened.sessionId)).toBe(
    `session ${opened.sessionId} ended when its sessionTimeout of 1 s passed: open a new session and repeat its set-up`,
  );
  expect(processesWith(marker)).toEqual([]);
  expect(await s.close(opened.sessionId)).toBe(false);
});

test('an out-of-range sessionTimeout is refused at open, and nothing is held', () => {
  const { store: s } = store();
  const before = sessionDirs();
  expect(() => s.open({}, { timeoutSeconds: 86_401 })).toThrow(/sessionTimeout 86401 s must be more than 0 and at most 86400 s/);
  expect(() => s.open({}, { timeoutSeconds: 0 })).toThrow(/sessionTimeout/);
  expect(s.size).toBe(0);
  expect(sessionDirs()).toEqual(before);
});

test('maxSessions: one open too many is SandboxSessionsFull and makes nothing; after a close one more opens', async () => {
  const { store: s } = store({ maxSessions: 2 });
  const a = s.open({}).sessionId;
  s.open({});
  const before = sessionDirs();
  const err = thrown(() => s.open({}));
  expect(err).toBeInstanceOf(SandboxSessionsFull);
  expect(err.message).toBe('this worker holds 2 open sessions (its maxSessions): open again later, or on another worker');
  expect(sessionDirs()).toEqual(before);
  expect(s.size).toBe(2);
  await s.close(a);
  const c = s.open({}).sessionId;
  expect(existsSync(sessionDir(c))).toBe(true);
  expect(() => s.open({})).toThrow(SandboxSessionsFull);
});

test('a run in flight when its session closes is ended (cancelled), and only then is the dir removed', async () => {
  const { store: s } = store();
  const marker = uniqueMarker();
  const { sessionId } = s.open({});
  const dir = sessionDir(sessionId);
  const order: string[] = [];
  const started = Date.now();
  const run = s.run(sessionId, { command: ['sh', '-c', `touch started; exec sleep ${marker}`], timeoutSeconds: 10 }).then((r) => {
    order.push(`run ended, dir there: ${existsSync(dir)}`);
    return r;
  });
  expect(await settle(() => existsSync(path.join(dir, 'started')), (v) => v, 5000)).toBe(true);
  expect(processesWith(marker)).toHaveLength(1);
  const closed = s.close(sessionId).then((v) => {
    order.push(`closed, dir there: ${existsSync(dir)}`);
    return v;
  });
  const [result] = await Promise.all([run, closed]);
  expect(result).toMatchObject({ termination: 'cancelled', exitCode: null });
  expect(Date.now() - started).toBeLessThan(5000);
  expect(order).toEqual(['run ended, dir there: true', 'closed, dir there: false']);
  expect(processesWith(marker)).toEqual([]);
});

test('aborting one run of a session ends that run only: the session and its files stay', async () => {
  const { store: s } = store();
  const { sessionId } = s.open({});
  s.putFile(sessionId, 'kept', Buffer.from('kept'));
  const abort = new AbortController();
  setTimeout(() => abort.abort(), 300);
  const result = await s.run(sessionId, { command: ['sleep', '30'], timeoutSeconds: 10, signal: abort.signal });
  expect(result.termination).toBe('cancelled');
  expect((await sh(s, sessionId, 'cat kept')).stdout).toBe('kept');
});

test('closeAll ends every session, runs in flight included, and says the worker stopped', async () => {
  const { store: s } = store();
  const ids = [s.open({}).sessionId, s.open({}).sessionId, s.open({}).sessionId];
  const inFlight = s.run(ids[0], { command: ['sleep', '30'], timeoutSeconds: 10 });
  await new Promise((r) => setTimeout(r, 300));
  await s.closeAll();
  expect(s.size).toBe(0);
  expect((await inFlight).termination).toBe('cancelled');
  for (const id of ids) {
    expect(existsSync(sessionDir(id))).toBe(false);
    expect(lost(() => s.getFile(id, 'x'), id)).toBe(`session ${id} ended when its worker stopped: open a new session and repeat its set-up`);
  }
});

test('a session ceiling broader than the worker\'s is refused at open with SandboxPolicyError, and nothing is held', () => {
  const { store: s } = store({ worker: { maxNetworkMode: 'blocked' } });
  const before = sessionDirs();
  const err = thrown(() => s.open({ networkMode: 'allowlist', networkAllowlist: ['example.com'] }));
  expect(err).toBeInstanceOf(SandboxPolicyError);
  expect(err.message).toMatch(/allowlist/);
  expect(thrown(() => s.open({ networkMode: 'open' }))).toBeInstanceOf(SandboxPolicyError);
  expect(s.size).toBe(0);
  expect(sessionDirs()).toEqual(before);
  // The control: within the ceiling, it opens.
  expect(s.open({ networkMode: 'blocked' }).sessionId).toMatch(/^[0-9a-f]{16}$/);
});

test('a run cannot widen its session\'s ceiling, not even with a field the session left unset', async () => {
  const { store: s } = store();
  const outside = mkdtempSync(path.join(realpathSync(tmpdir()), 'session-outside-'));
  try {
    const { sessionId } = s.open({}); // the defaults: blocked, no extra path
    // A caller that is not TypeScript (a payload) may carry ceiling fields in a run's options.
    const widened = { command: ['sh', '-c', `touch ${outside}/x`], networkMode: 'open', readWritePaths: [outside] } as unknown as SessionRunOptions;
    const result = await s.run(sessionId, widened);
    expect(result.policy.mode).toBe('blocked');
    expect(result.policy.filesystem.readWrite).not.toContain(outside);
    expect(readdirSync(outside)).toEqual([]);
    const narrow = s.open({ networkMode: 'allowlist', networkAllowlist: ['a.example.test'] }).sessionId;
    const other = { command: ['true'], networkAllowlist: ['b.example.test'] } as unknown as SessionRunOptions;
    expect((await s.run(narrow, other)).policy.allowlist).toEqual(['a.example.test']);
  } finally {
    rmSync(outside, { recursive: true, force: true });
  }
});

test('on a warm runner a session keeps its files across runs, and its close leaves no warm sandbox holding its dir', async () => {
  const { store: s, runner } = store({ warm: 1 });
  const { sessionId } = s.open({});
  const dir = sessionDir(sessionId);
  await sh(s, sessionId, 'echo 1 > count');
  await runner.settled();
  // A warm sandbox for the session's next run holds its dir now.
  expect(processesWith(dir).length).toBeGreaterThan(0);
  await sh(s, sessionId, 'echo $(( $(cat count) + 1 )) > count');
  await runner.settled();
  expect(s.getFile(sessionId, 'count').toString()).toBe('2\n');
  await s.close(sessionId);
  expect(await settle(() => processesWith(dir), (p) => p.length === 0)).toEqual([]);
  expect(existsSync(dir)).toBe(false);
});
