// The work root (sandbox/contain/work-root.ts): each process makes its work dirs in a life dir
// named by its pid and start time, and a life dir whose maker is gone (killed, or its pid reused)
// is removed by the next process that makes one, or by reapDeadLives(). A live process's dir, a
// name of another form, another user's dir and a link's target are never touched; a work root
// that someone else could write is refused. Children run with a private TMPDIR where they can.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { lifeDir, reapDeadLives, workRoot } from '../../sandbox/contain/work-root';
import { AS_ROOT, spawnNode, testAsRoot } from '../containment/harness';

const WORK_ROOT_JS = path.join(__dirname, '..', '..', 'sandbox', 'contain', 'work-root.js');
const UID = process.getuid!();
/** A pid no process can have. */
const NO_PID = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8')) + 1;

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

/** A node process that makes its life dir (TMPDIR=scratch), puts a file in it, and waits. */
function startLife(): Promise<Life> {
  const code = `const d = require(${JSON.stringify(WORK_ROOT_JS)}).lifeDir(); require('fs').writeFileSync(d + '/inside', 'x'); console.log(d); setInterval(() => {}, 1 << 30);`;
  const child = spawn(process.execPath, ['-e', code], { env: { ...process.env, TMPDIR: scratch }, stdio: ['ignore', 'pipe', 'inherit'] });
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
    expect(path.basename(dead.dir)).toMatch(new RegExp(`^life-${dead.child.pid}-\\d+$`));
    expect(readdirSync(dead.dir)).toEqual(['inside']);
    await kill(dead.child);
    expect(reapDeadLives(base)).toEqual([dead.dir]);
    expect(existsSync(dead.dir)).toBe(false);
    expect(readdirSync(live.dir)).toEqual(['inside']);
    // This process's own, in the real work root: whatever else is reaped there, never it.
    const own = lifeDir();
    expect(path.basename(own)).toMatch(new RegExp(`^life-${process.pid}-\\d+$`));
    expect(reapDeadLives()).not.toContain(own);
    expect(existsSync(own)).toBe(true);
  } finally {
    await kill(live.child);
  }
});

test('a dir of a live pid with another start time (the pid was reused) is reaped, as is one of no such pid', async () => {
  const live = await startLife();
  try {
    const start = path.basename(live.dir).split('-')[2];
    const reused = plant(`life-${live.child.pid}-${Number(start) + 1}`);
    const none = plant(`life-${NO_PID}-1`);
    expect(reapDeadLives(base).sort()).toEqual([none, reused].sort());
    expect(readdirSync(base)).toEqual([path.basename(live.dir)]);
  } finally {
    await kill(live.child);
  }
});

test('names of another form are left alone, and a link named like a dead life dir is removed without following it', () => {
  for (const name of ['life-x-1', 'life-1', 'life-1-2-3', 'other', `Life-${NO_PID}-1`]) plant(name);
  const target = path.join(scratch, 'target');
  mkdirSync(target);
  writeFileSync(path.join(target, 'keep'), 'x');
  symlinkSync(target, path.join(base, `life-${NO_PID}-2`));
  expect(reapDeadLives(base)).toEqual([path.join(base, `life-${NO_PID}-2`)]);
  expect(readdirSync(base).sort()).toEqual(['Life-' + NO_PID + '-1', 'life-1', 'life-1-2-3', 'life-x-1', 'other'].sort());
  expect(readdirSync(target)).toEqual(['keep']);
});

test('a dead life dir with a directory its command made unreadable (mode 0) is still removed', () => {
  const dir = plant(`life-${NO_PID}-3`);
  mkdirSync(path.join(dir, 'locked/deeper'), { recursive: true });
  writeFileSync(path.join(dir, 'locked/deeper/file'), 'x');
  chmodSync(path.join(dir, 'locked/deeper'), 0);
  chmodSync(path.join(dir, 'locked'), 0);
  expect(reapDeadLives(base)).toEqual([dir]);
  expect(existsSync(dir)).toBe(false);
});

testAsRoot('a dead life dir of another user is not this process\'s to judge, and stays', () => {
  const theirs = plant(`life-${NO_PID}-4`);
  chownSync(theirs, 65534, 65534);
  expect(reapDeadLives(base)).toEqual([]);
  expect(readdirSync(theirs)).toEqual(['left']);
});

test('a new process\'s first lifeDir() reaps what dead ones left, and makes its own dir of mode 0o711', async () => {
  const dead = plant(`life-${NO_PID}-5`);
  const r = await spawnNode(['-e', `console.log(require(${JSON.stringify(WORK_ROOT_JS)}).lifeDir())`], { env: { ...process.env, TMPDIR: scratch } });
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
