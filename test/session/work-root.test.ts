// The work root (sandbox/contain/work-root.ts): each process makes its work dirs in a life dir
// whose socket it listens on while it lives, and a life dir whose maker is gone (killed, in this
// PID namespace or another) is removed by the next process that makes one, or by
// reapDeadLives(). A live process's dir, a name of another form, another user's dir, a dir that
// cannot be judged and a link's target are never touched; a work root that someone else could
// write is refused. Children run with a private TMPDIR.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync, utimesSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { lifeDir, reapDeadLives, workRoot } from '../../sandbox/contain/work-root';
import { AS_ROOT, spawnNode, testAsRoot } from '../containment/harness';

const WORK_ROOT_JS = path.join(__dirname, '..', '..', 'sandbox', 'contain', 'work-root.js');
const UID = process.getuid!();

let scratch: string;
/** The work root children see with TMPDIR=scratch. */
let base: string;
beforeEach(() => {
  scratch = mkdtempSync(path.join(realpathSync(tmpdir()), 'session-work-root-'));
  base = path.join(scratch, `temporal-sandbox-${UID}`);
  mkdirSync(base, { mode: 0o711 });
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

type Life = { child: ChildProcess; dir: string };

/** A node process that makes its life dir (TMPDIR=scratch), puts a file in it, and waits; `wrap` runs it under another program. */
function startLife(wrap: string[] = []): Promise<Life> {
  const code = `const d = require(${JSON.stringify(WORK_ROOT_JS)}).lifeDir(); require('fs').writeFileSync(d + '/inside', 'x'); console.log(d); setInterval(() => {}, 1 << 30);`;
  const argv = [...wrap, process.execPath, '-e', code];
  const child = spawn(argv[0], argv.slice(1), { env: { ...process.env, TMPDIR: scratch }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.on('error', reject);
    child.on('exit', (c) => reject(new Error(`the life exited early (${c})`)));
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.endsWith('\n')) resolve({ child, dir: out.trim() });
    });
  });
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.removeAllListeners('exit');
    child.once('exit', () => resolve()); // reaped by now: no zombie keeps /proc/PID
    child.kill('SIGKILL');
  });
}

/** A life dir of `name` under the private base, with a file inside. */
function plant(name: string): string {
  const dir = path.join(base, name);
  mkdirSync(dir, { mode: 0o711 });
  writeFileSync(path.join(dir, 'left'), 'x');
  return dir;
}

test('a SIGKILLed process\'s life dir is reaped; a live process\'s and this process\'s own stay', async () => {
  const dead = await startLife();
  const live = await startLife();
  try {
    expect(path.dirname(dead.dir)).toBe(base);
    expect(path.basename(dead.dir)).toMatch(new RegExp(`^life-${dead.child.pid}-[0-9a-f]{8}$`));
    expect(readdirSync(dead.dir).sort()).toEqual(['.alive', 'inside']);
    await kill(dead.child);
    expect(await reapDeadLives(base)).toEqual([dead.dir]);
    expect(existsSync(dead.dir)).toBe(false);
    expect(readdirSync(live.dir).sort()).toEqual(['.alive', 'inside']);
    // This process's own, in the real work root: whatever else is reaped there, never it.
    const own = lifeDir();
    expect(await reapDeadLives()).not.toContain(own);
    expect(existsSync(own)).toBe(true);
  } finally {
    await kill(live.child);
  }
});

testAsRoot('a process that is PID 1 of its own PID namespace: its dir stays while it lives, and goes once it is gone', async () => {
  // Its pid means nothing out here (pid 1 is the host's init): only its socket tells.
  const inNamespace = await startLife(['unshare', '--pid', '--fork', '--kill-child', '--mount-proc']);
  try {
    expect(path.basename(inNamespace.dir)).toMatch(/^life-1-[0-9a-f]{8}$/);
    expect(await reapDeadLives(base)).toEqual([]);
    expect(readdirSync(inNamespace.dir).sort()).toEqual(['.alive', 'inside']);
  } finally {
    await kill(inNamespace.child);
  }
  // unshare is gone; its child (killed by --kill-child) goes a moment later.
  const deadline = Date.now() + 5000;
  let reaped: string[] = [];
  while (reaped.length === 0 && Date.now() < deadline) {
    reaped = await reapDeadLives(base);
    if (reaped.length === 0) await new Promise((r) => setTimeout(r, 50));
  }
  expect(reaped).toEqual([inNamespace.dir]);
});

test('a dir without its socket is being made, unless it is old; a dir marked as not judgeable stays', async () => {
  const young = plant('life-1-0000000a');
  const old = plant('life-1-0000000b');
  utimesSync(old, new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
  const unjudged = plant('life-1-0000000c');
  writeFileSync(path.join(unjudged, '.unjudged'), 'x');
  utimesSync(unjudged, new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
  expect(await reapDeadLives(base)).toEqual([old]);
  expect(existsSync(young) && existsSync(unjudged)).toBe(true);
});

test('names of another form are left alone, and a link named like a life dir is removed without following it', async () => {
  for (const name of ['life-x-0000000a', 'life-1', 'life-1-2-3', 'life-1-XYZ', 'other', 'Life-1-0000000a']) plant(name);
  const target = path.join(scratch, 'target');
  mkdirSync(target);
  writeFileSync(path.join(target, 'keep'), 'x');
  symlinkSync(target, path.join(base, 'life-2-0000000a'));
  expect(await reapDeadLives(base)).toEqual([path.join(base, 'life-2-0000000a')]);
  expect(readdirSync(base).sort()).toEqual(['Life-1-0000000a', 'life-1', 'life-1-2-3', 'life-1-XYZ', 'life-x-0000000a', 'other'].sort());
  expect(readdirSync(target)).toEqual(['keep']);
});

test('a dead life dir with a directory its command made unreadable (mode 0) is still removed', async () => {
  const dir = plant('life-3-0000000a');
  utimesSync(dir, new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
  mkdirSync(path.join(dir, 'locked/deeper'), { recursive: true });
  writeFileSync(path.join(dir, 'locked/deeper/file'), 'x');
  chmodSync(path.join(dir, 'locked/deeper'), 0);
  chmodSync(path.join(dir, 'locked'), 0);
  utimesSync(dir, new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
  expect(await reapDeadLives(base)).toEqual([dir]);
  expect(existsSync(dir)).toBe(false);
});

testAsRoot('a dead life dir of another user is not this process\'s to judge, and stays', async () => {
  const theirs = plant('life-4-0000000a');
  utimesSync(theirs, new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
  chownSync(theirs, 65534, 65534);
  expect(await reapDeadLives(base)).toEqual([]);
  expect(readdirSync(theirs)).toEqual(['left']);
});

test('a new process\'s first lifeDir() reaps what dead ones left, and makes its own dir of mode 0o711', async () => {
  const dead = plant('life-5-0000000a');
  utimesSync(dead, new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
  // The reap runs in the background: the child waits a moment before it exits.
  const r = await spawnNode(['-e', `console.log(require(${JSON.stringify(WORK_ROOT_JS)}).lifeDir()); setTimeout(() => {}, 500)`], { env: { ...process.env, TMPDIR: scratch } });
  expect(r.code).toBe(0);
  expect(existsSync(dead)).toBe(false);
  const made = r.stdout.trim();
  expect(path.dirname(made)).toBe(base);
  const st = lstatSync(made);
  expect([st.isDirectory(), st.uid, st.mode & 0o777]).toEqual([true, UID, 0o711]);
});

type Prepare = (p: string) => void;
const badRoots: [string, Prepare][] = [
  ['that others may write', (p) => { mkdirSync(p); chmodSync(p, 0o777); }],
  ['that is a link (to a dir of ours)', (p) => { mkdirSync(`${p}-real`, { mode: 0o711 }); symlinkSync(`${p}-real`, p); }],
];
if (AS_ROOT) badRoots.push(['of another user', (p) => { mkdirSync(p, { mode: 0o711 }); chownSync(p, 65534, 65534); }]);
test.each(badRoots)('a work root %s is refused, with what to do', async (_, prepare) => {
  const tmp = path.join(scratch, 'tmp');
  mkdirSync(tmp);
  prepare(path.join(tmp, `temporal-sandbox-${UID}`));
  const r = await spawnNode(['-e', `require(${JSON.stringify(WORK_ROOT_JS)}).workRoot()`], { env: { ...process.env, TMPDIR: tmp } });
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(/SandboxInputError: .*temporal-sandbox-\d+ is not a directory of this user's that only it may write: remove it and try again/);
});

test('the work root is under the real temp dir, named by uid, mode 0o711, and the same on every call', () => {
  const root = workRoot();
  expect(root).toBe(path.join(realpathSync(tmpdir()), `temporal-sandbox-${UID}`));
  expect(lstatSync(root).mode & 0o777).toBe(0o711);
  expect(workRoot()).toBe(root);
  expect(path.dirname(lifeDir())).toBe(root);
});
