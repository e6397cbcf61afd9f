// Where work dirs live on the host (docs/temporal.md, "What a dead worker leaves"):
//   $TMPDIR/temporal-sandbox-<uid>/               the work root, one per host user
//     life-<pid>-<random>/                         one per process that made work dirs
//       .alive                                     a Unix socket its process listens on
//       run-XXXXXX/                                a stateless run's fresh work dir
//       session-<id>/                              a session's work dir
// Whether a life directory's process still lives is asked of the kernel: a connect to its socket
// succeeds while the process lives (even with its event loop busy) and is refused once it is
// gone. That holds across PID and network namespaces (a worker in a container that shares the
// work root, a worker that is PID 1 of its own namespace), where a pid means nothing. The first
// process to make a work dir removes, in the background, every life directory whose process is gone.
import { lstatSync, mkdirSync, readdirSync, realpathSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { SandboxInputError } from '../errors';
import { removeTree } from './remove-tree';

const LIFE = /^life-\d+-[0-9a-f]{8}$/;
const ALIVE = '.alive';
/** Marks a life directory whose socket could not be made (its path too long): never judged dead. */
const UNJUDGED = '.unjudged';
/** A life directory without its socket yet is being made, unless it is older than this. */
const MAKING_MS = 60_000;
/** The longest path a Unix socket may have (sun_path less its terminating NUL). */
const SUN_PATH_MAX = 107;

let root: string | null = null;
let life: { dir: string; server: net.Server | null } | null = null;

/** The worker's own directory for work dirs: made once, and never one someone else prepared. */
export function workRoot(): string {
  if (root) return root;
  const uid = process.getuid?.() ?? 0;
  const dir = path.join(realpathSync(tmpdir()), `temporal-sandbox-${uid}`);
  makeOwnDir(dir, 0o711);
  return (root = dir);
}

/** This process's directory below the work root; the first call starts reaping what dead processes left. */
export function lifeDir(): string {
  if (life) return life.dir;
  const base = workRoot();
  const dir = path.join(base, `life-${process.pid}-${randomBytes(4).toString('hex')}`);
  makeOwnDir(dir, 0o711);
  life = { dir, server: listenAlive(dir) };
  void reapDeadLives(base).catch(() => undefined);
  return dir;
}

/**
 * Removes this process's life directory if nothing but its socket is left in it (a worker
 * stopping); a later work dir makes it again.
 */
export function leaveLifeDir(): void {
  if (!life) return;
  const { dir, server } = life;
  if (readdirSync(dir).some((name) => name !== ALIVE && name !== UNJUDGED)) return; // a run in flight: reaped once we are gone
  server?.close();
  rmSync(path.join(dir, ALIVE), { force: true });
  rmSync(path.join(dir, UNJUDGED), { force: true });
  try {
    rmdirSync(dir);
  } catch {
    // something arrived meanwhile: the reaper takes it once we are gone
  }
  life = null;
}

/** Removes the life directories whose process is gone; resolves to the ones removed. */
export async function reapDeadLives(base = workRoot()): Promise<string[]> {
  const uid = process.getuid?.() ?? 0;
  const reaped: string[] = [];
  for (const name of readdirSync(base)) {
    if (!LIFE.test(name)) continue;
    const dir = path.join(base, name);
    if (dir === life?.dir) continue;
    let st;
    try {
      st = lstatSync(dir);
    } catch {
      continue; // another process reaped it first
    }
    if (st.uid !== uid) continue; // not ours to judge
    // A link named like a life directory is removed, never followed.
    if (st.isSymbolicLink() || (st.isDirectory() && (await isGone(dir, st.mtimeMs)))) {
      if (removeTree(dir)) reaped.push(dir);
    }
  }
  return reaped;
}

/** Listens on the directory's socket for as long as this process lives, without holding it open. */
function listenAlive(dir: string): net.Server | null {
  const socket = path.join(dir, ALIVE);
  if (Buffer.byteLength(socket) > SUN_PATH_MAX) {
    writeFileSync(path.join(dir, UNJUDGED), `${socket} is too long for a Unix socket: this directory is never reaped\n`);
    return null;
  }
  const server = net.createServer((c) => c.destroy());
  server.on('error', () => writeFileSync(path.join(dir, UNJUDGED), 'its socket could not be made\n'));
  server.listen(socket);
  server.unref();
  return server;
}

function isGone(dir: string, mtimeMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      lstatSync(path.join(dir, UNJUDGED));
      return resolve(false);
    } catch {
      // judged by its socket
    }
    const c = net.connect(path.join(dir, ALIVE));
    const done = (gone: boolean) => {
      c.destroy();
      resolve(gone);
    };
    c.setTimeout(2000, () => done(false)); // cannot tell: leave it
    c.on('connect', () => done(false));
    c.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') done(true);
      else if (err.code === 'ENOENT') done(Date.now() - mtimeMs > MAKING_MS);
      else done(false);
    });
  });
}

function makeOwnDir(dir: string, mode: number): void {
  try {
    mkdirSync(dir, { mode });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== (process.getuid?.() ?? 0) || (st.mode & 0o022) !== 0) {
    throw new SandboxInputError(`${dir} is not a directory of this user's that only it may write: remove it and try again`);
  }
}
