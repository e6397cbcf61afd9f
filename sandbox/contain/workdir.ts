// The work dir (docs/security-model.md, "The view"): the run's one read-write host directory.
// A caller may name one (the CLI names the current directory); otherwise a fresh, empty one is
// made for the run (or for a session, across its runs), owned by the command's host user, and
// removed when the run (or the session) is over.
import { chownSync, mkdirSync, mkdtempSync, realpathSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { SandboxInputError, SandboxPolicyError } from '../errors';
import { FORBIDDEN_PATHS, SYSTEM_PATHS, pathWithin } from '../policy/paths';
import type { HostIdentity } from './identity';
import { removeTree } from './remove-tree';
import { lifeDir } from './work-root';


export type FreshWorkdir = { path: string; remove(): boolean };

/**
 * A fresh, empty work dir in this process's life directory (sandbox/contain/work-root.ts), owned
 * by the command's host user. `kind` names it: a stateless run's, or a session's (with its id).
 */
export function makeFreshWorkdir(owner: HostIdentity, switched: boolean, kind: { session: string } | 'run' = 'run'): FreshWorkdir {
  let dir: string;
  if (kind === 'run') {
    dir = mkdtempSync(path.join(lifeDir(), 'run-'));
  } else {
    dir = path.join(lifeDir(), `session-${kind.session}`);
    mkdirSync(dir, { mode: 0o700 });
  }
  if (switched) chownSync(dir, owner.uid, owner.gid);
  return { path: dir, remove: () => removeTree(dir) };
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
  if (real !== path.normalize(dir).replace(/(.)\/$/, '$1')) {
    // A link planted by an earlier run would otherwise take the next one wherever it points.
    throw new SandboxInputError(`the work dir ${JSON.stringify(dir)} goes through a symlink: name the directory itself (${real}), or pass --workdir ${real}`);
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
