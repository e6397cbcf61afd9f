// Nothing the host executes is writable from inside (docs/security-model.md, "What the host runs
// stays read-only"). A run's writable directories (the work dir, readWritePaths) may hold code that
// the host runs later without being asked: this package itself (its dist/, bin/ and helper, and
// every module the worker or the CLI has loaded), git's hooks and configuration, shell start-up
// files and editor task files. Each that exists is bound read-only over itself, and each
// directory between the writable root and it is bound onto itself first: a mount point cannot be
// renamed or removed, so the command cannot move the protected path aside and put its own in its
// place.
import { existsSync, lstatSync, realpathSync } from 'node:fs';
import * as path from 'node:path';
import { pathWithin } from '../policy/paths';

/**
 * Paths in a writable directory that the host runs from without asking: git runs hooks and
 * config-named programs (core.fsmonitor, core.pager, filters, aliases) in any repository a user
 * touches; a shell sources its start-up files; editors run their task files; some tools read
 * their own configuration from the current directory.
 */
const PROTECTED_NAMES: readonly string[] = [
  '.git/config', '.git/hooks', '.git/modules', '.git/info',
  '.gitmodules', '.gitconfig',
  '.bashrc', '.bash_profile', '.bash_login', '.bash_logout', '.profile',
  '.zshrc', '.zprofile', '.zshenv', '.zlogin', '.zlogout',
  '.envrc', '.ripgreprc', '.mcp.json',
  '.vscode', '.idea', '.claude/commands', '.claude/agents', '.claude/settings.json',
];

/** This package's root (dist/sandbox/contain -> the root), as it really is. */
function packageRoot(): string {
  return realpathSync(path.resolve(__dirname, '..', '..', '..'));
}

/** The package directory (the nearest holding a package.json) of a loaded module file. */
function packageDirOf(file: string): string | null {
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
  }
  return null;
}

/**
 * What of this process's own code lies on the host: the package's dist/, bin/, native/ and
 * package.json, and the package directory of every module loaded so far (ipaddr.js, the Temporal
 * SDK's, ...), which the next invocation would load again.
 */
function ownCode(): string[] {
  // Worked out again only when more modules have been loaded: a run's view is on a hot path.
  const loaded = Object.keys(require.cache).length;
  if (ownCodeCache?.loaded !== loaded) ownCodeCache = { loaded, dirs: findOwnCode() };
  return ownCodeCache.dirs;
}
let ownCodeCache: { loaded: number; dirs: string[] } | undefined;

function findOwnCode(): string[] {
  const root = packageRoot();
  const out = new Set(['dist', 'bin', 'native', 'package.json'].map((p) => path.join(root, p)));
  for (const file of Object.keys(require.cache)) {
    let real: string;
    try {
      real = realpathSync(file);
    } catch {
      continue;
    }
    const dir = packageDirOf(real);
    // The package's own root is covered part by part above (its work files stay writable).
    if (dir && dir !== root) out.add(dir);
  }
  return [...out];
}

export type WritableDir = { host: string; inside: string };
export type ProtectOp = { op: 'bind' | 'ro-bind'; src: string; dest: string };

/**
 * The mounts that keep protected paths read-only inside `writable`, to follow the writable binds.
 * Each protected path is taken as it really is (a link to somewhere outside every writable
 * directory needs nothing: it is read-only there, or absent from the view).
 */
export function protectOps(writable: readonly WritableDir[]): ProtectOp[] {
  const targets = new Set<string>();
  const candidates = [...ownCode(), ...writable.flatMap((w) => PROTECTED_NAMES.map((n) => path.join(w.host, n)))];
  for (const c of candidates) {
    let real: string;
    try {
      lstatSync(c);
      real = realpathSync(c);
    } catch {
      continue; // absent
    }
    if (writable.some((w) => pathWithin(real, w.host) && real !== w.host)) targets.add(real);
  }
  // A read-only bind covers what lies beneath it: only the outermost targets are bound, so no
  // pin (a read-write bind) ever lands inside a read-only one.
  const outermost = [...targets].filter((t) => ![...targets].some((o) => o !== t && pathWithin(t, o)));
  const ops: ProtectOp[] = [];
  const pinned = new Set<string>();
  for (const target of outermost) {
    const w = writable.find((x) => pathWithin(target, x.host) && target !== x.host)!;
    const inside = (host: string): string => path.join(w.inside, path.relative(w.host, host));
    for (let dir = path.dirname(target); dir !== w.host; dir = path.dirname(dir)) {
      if (pinned.has(dir)) continue;
      pinned.add(dir);
      ops.push({ op: 'bind', src: dir, dest: inside(dir) });
    }
    ops.push({ op: 'ro-bind', src: target, dest: inside(target) });
  }
  // Shallow first: a directory is pinned before anything beneath it is bound.
  return ops.sort((a, b) => a.dest.split('/').length - b.dest.split('/').length || a.dest.localeCompare(b.dest));
}
