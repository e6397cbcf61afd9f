// The work dir (docs/security-model.md, "The view"): the run's one read-write host directory.
// A caller may name one (the CLI names the current directory); otherwise a fresh, empty one is
// made for the run, owned by the command's host user, and removed when the run is over.
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { SandboxInputError, SandboxPolicyError } from '../errors';
import { FORBIDDEN_PATHS, SYSTEM_PATHS, pathWithin } from '../policy/paths';
import type { HostIdentity } from './identity';

/** Where a fresh work dir appears inside the view. */
export const FRESH_WORKDIR_INSIDE = '/workspace';

let base: string | null = null;

/** The worker's own directory for work dirs: made once, and never one someone else prepared. */
function workRoot(): string {
  if (base) return base;
  const dir = path.join(realpathSync(tmpdir()), `temporal-sandbox-${process.getuid?.() ?? 0}`);
  try {
    mkdirSync(dir, { mode: 0o711 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== (process.getuid?.() ?? 0) || (st.mode & 0o022) !== 0) {
    throw new SandboxInputError(`${dir} is not a directory of this user's that only it may write: remove it and try again`);
  }
  return (base = dir);
}

export type FreshWorkdir = { path: string; remove(): void };

export function makeFreshWorkdir(owner: HostIdentity, switched: boolean): FreshWorkdir {
  const dir = mkdtempSync(path.join(workRoot(), 'run-'));
  if (switched) chownSync(dir, owner.uid, owner.gid);
  return { path: dir, remove: () => removeTree(dir) };
}

/** Removes a tree the command controlled: links are removed, never followed. */
function removeTree(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
  } catch {
    // A directory the command made unwritable (chmod 0): an unprivileged worker may still own it.
    try {
      restoreWrite(dir);
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // left for the next start's reaper; nothing of it is reachable by a later run
    }
  }
}

function restoreWrite(dir: string): void {
  const st = lstatSync(dir);
  if (!st.isDirectory()) return;
  chmodSync(dir, 0o700);
  for (const name of readdirSync(dir)) restoreWrite(path.join(dir, name));
}

/** A caller's work dir: an existing directory, spelled canonically, that is not the host's system. */
export function checkWorkdir(dir: string): string {
  if (typeof dir !== 'string' || !path.isAbsolute(dir)) {
    throw new SandboxInputError(`the work dir ${JSON.stringify(dir)} must be an absolute path`);
  }
  let real: string;
  try {
    real = realpathSync(dir);
    if (!statSync(real).isDirectory()) throw new Error('not a directory');
  } catch {
    throw new SandboxInputError(`the work dir ${JSON.stringify(dir)} is not an existing directory: create it, or pass --workdir DIR`);
  }
  const bad =
    FORBIDDEN_PATHS.find((p) => (p === '/' ? real === '/' : pathWithin(real, p))) ??
    SYSTEM_PATHS.find((p) => pathWithin(real, p) || pathWithin(p, real));
  if (bad) {
    throw new SandboxInputError(
      `the work dir ${real} would put ${bad === '/' ? 'the whole host' : bad} in the view read-write: run from a directory of your own, or pass --workdir DIR`,
    );
  }
  return real;
}

/** Extra paths of the view must exist and be spelled as they really are (no symlink on the way). */
export function checkHostPaths(paths: readonly string[], field: string): void {
  for (const p of paths) {
    let real: string;
    try {
      real = realpathSync(p);
    } catch {
      throw new SandboxPolicyError(`${field} entry '${p}' does not exist on this worker: create it, or remove the entry`, { entry: p });
    }
    if (real !== p) throw new SandboxPolicyError(`${field} entry '${p}' goes through a symlink: write '${real}'`, { entry: p });
  }
}
