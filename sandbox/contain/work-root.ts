// Where work dirs live on the host (docs/temporal.md, "Sessions"):
//   $TMPDIR/temporal-sandbox-<uid>/               the work root, one per host user
//     life-<pid>-<start>/                          one per process that made work dirs
//       run-XXXXXX/                                a stateless run's fresh work dir
//       session-<id>/                              a session's work dir
// A process's directory names it by pid and start time, so another process can tell, without
// any lock, whether its maker still lives. The first process to make a work dir removes every
// life directory whose process is gone: what a killed worker left is removed when it starts again.
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { SandboxInputError } from '../errors';
import { removeTree } from './remove-tree';

const LIFE = /^life-(\d+)-(\d+)$/;

let root: string | null = null;
let life: string | null = null;

/** The worker's own directory for work dirs: made once, and never one someone else prepared. */
export function workRoot(): string {
  if (root) return root;
  const uid = process.getuid?.() ?? 0;
  const dir = path.join(realpathSync(tmpdir()), `temporal-sandbox-${uid}`);
  makeOwnDir(dir, 0o711);
  return (root = dir);
}

/** This process's directory below the work root; the first call reaps what dead processes left. */
export function lifeDir(): string {
  if (life) return life;
  const base = workRoot();
  reapDeadLives(base);
  const dir = path.join(base, `life-${process.pid}-${startTime(process.pid)}`);
  makeOwnDir(dir, 0o711);
  return (life = dir);
}

/**
 * Removes this process's life directory if nothing is left in it (a worker stopping); a later
 * work dir makes it again.
 */
export function leaveLifeDir(): void {
  if (!life) return;
  try {
    rmdirSync(life);
    life = null;
  } catch {
    // still holds a work dir of a run in flight: it stays, and the reaper takes it once we are gone
  }
}

/** Removes the life directories of processes that are gone; returns the ones removed. */
export function reapDeadLives(base = workRoot()): string[] {
  const reaped: string[] = [];
  for (const name of readdirSync(base)) {
    const m = LIFE.exec(name);
    if (!m || isAlive(Number(m[1]), m[2])) continue;
    const dir = path.join(base, name);
    if (lstatSync(dir).uid !== (process.getuid?.() ?? 0)) continue; // not ours to judge
    if (removeTree(dir)) reaped.push(dir);
  }
  return reaped;
}

function isAlive(pid: number, start: string): boolean {
  return existsSync(`/proc/${pid}`) && startTime(pid) === start;
}

/** A process's start time in clock ticks since boot (field 22 of /proc/PID/stat): pid reuse tells. */
function startTime(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '0';
  } catch {
    return 'gone';
  }
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
