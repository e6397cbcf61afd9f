// The view (docs/security-model.md, "The view"): the one list of mount operations that makes a
// run's fresh root. bubblewrap performs it from its own options; sandbox-init performs the same
// list for backend userns. The Landlock rules and the result's description derive from it too.
import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { SYSTEM_PATHS, pathWithin } from '../policy/paths';
import { protectOps } from './protected';
import type { FilesystemView } from '../types';

export type ViewOp =
  | { op: 'ro-bind' | 'bind'; src: string; dest: string }
  | { op: 'symlink'; target: string; dest: string }
  | { op: 'proc' | 'dev' | 'remount-ro'; dest: string }
  /**
   * `inodes`: a cap on its files, which cost kernel memory whatever their size; null where a bind
   * lies on or beneath it (the CLI's work dir may be in /tmp), which a capped mount would hide.
   */
  | { op: 'tmpfs'; dest: string; bytes: number; mode: number; inodes: number | null };

export type ViewSpec = {
  /** The run's one read-write host directory, and where the command sees it. */
  workdir: { host: string; inside: string };
  /** Extra host paths, canonical and existing; each appears at its own path. */
  readOnly: readonly string[];
  readWrite: readonly string[];
  /** Size of the fresh /tmp and /dev/shm. */
  tmpBytes: number;
  /** A resolv.conf naming the stub DNS, bound where the host's is (transparent capture). */
  resolvConf?: string;
};

type SystemEntry = { path: string; link: string | null };
let systemEntries: SystemEntry[] | null = null;
let resolvTarget: string | null | undefined;

/** The host's system directories as they are: a directory, a symlink (usr-merge), or absent. */
function system(): SystemEntry[] {
  if (systemEntries) return systemEntries;
  const found: SystemEntry[] = [];
  for (const path of SYSTEM_PATHS) {
    try {
      const st = lstatSync(path);
      if (st.isSymbolicLink()) found.push({ path, link: readlinkSync(path) });
      else if (st.isDirectory()) found.push({ path, link: null });
    } catch {
      // not on this host (lib32, libx32...)
    }
  }
  return (systemEntries = found);
}

/** /etc/resolv.conf is often a link into /run, which the view does not have: bind its target. */
function resolvConfTarget(): string | null {
  if (resolvTarget !== undefined) return resolvTarget;
  resolvTarget = null;
  try {
    const real = realpathSync('/etc/resolv.conf');
    const inside = system().some((e) => e.link === null && pathWithin(real, e.path));
    if (!inside) resolvTarget = real;
  } catch {
    // no resolv.conf, or a dangling link: the view has the same
  }
  return resolvTarget;
}

/**
 * Where the stub's resolv.conf goes in the view: where the command's resolver will look (the
 * target of the host's link, or the host's file). null: the host has none, and a read-only /etc
 * has no place to put one.
 */
export function stubResolverPlace(): string | null {
  return resolvConfTarget() ?? (isFile('/etc/resolv.conf') ? '/etc/resolv.conf' : null);
}

function isFile(p: string): boolean {
  try {
    return lstatSync(p).isFile();
  } catch {
    return false;
  }
}

/** One inode per 4 KiB of the size, at least 1,024: 800,000 empty files would otherwise cost the
 * host about 800 MiB of kernel memory under a 1 MiB /tmp. */
function tmpfsInodes(bytes: number): number {
  return Math.max(1024, Math.floor(bytes / 4096));
}

/** The inode cap of each tmpfs with no bind on or beneath it (see ViewOp). */
function capTmpfs(ops: ViewOp[]): ViewOp[] {
  const binds = ops.filter((l) => l.op === 'bind' || l.op === 'ro-bind');
  return ops.map((o) =>
    o.op === 'tmpfs' && binds.some((l) => pathWithin(o.dest, l.dest) || pathWithin(l.dest, o.dest)) ? { ...o, inodes: null } : o,
  );
}

export function viewOps(spec: ViewSpec): ViewOp[] {
  const ops: ViewOp[] = [];
  for (const e of system()) {
    ops.push(e.link === null ? { op: 'ro-bind', src: e.path, dest: e.path } : { op: 'symlink', target: e.link, dest: e.path });
  }
  const resolv = resolvConfTarget();
  if (spec.resolvConf) {
    const dest = stubResolverPlace();
    if (dest) ops.push({ op: 'ro-bind', src: spec.resolvConf, dest });
  } else if (resolv) ops.push({ op: 'ro-bind', src: resolv, dest: resolv });
  ops.push({ op: 'proc', dest: '/proc' });
  ops.push({ op: 'dev', dest: '/dev' });
  const inodes = tmpfsInodes(spec.tmpBytes);
  ops.push({ op: 'tmpfs', dest: '/tmp', bytes: spec.tmpBytes, mode: 0o1777, inodes });
  ops.push({ op: 'tmpfs', dest: '/dev/shm', bytes: spec.tmpBytes, mode: 0o1777, inodes });
  for (const p of spec.readOnly) ops.push({ op: 'ro-bind', src: p, dest: p });
  for (const p of spec.readWrite) ops.push({ op: 'bind', src: p, dest: p });
  ops.push({ op: 'bind', src: spec.workdir.host, dest: spec.workdir.inside });
  // What the host would run from those writable directories, read-only (contain/protected.ts).
  ops.push(...protectOps([spec.workdir, ...spec.readWrite.map((p) => ({ host: p, inside: p }))]));
  // Nothing may be created at the top of the view or in /dev: both are fixed from here on.
  ops.push({ op: 'remount-ro', dest: '/dev' });
  ops.push({ op: 'remount-ro', dest: '/' });
  return capTmpfs(ops);
}

export type LandlockClass = 'list' | 'read' | 'write' | 'dev' | 'proc';
export type LandlockRule = { cls: LandlockClass; path: string };

/** Landlock allows exactly what the view grants, path by path (the root: listing only). */
export function landlockRules(ops: readonly ViewOp[]): LandlockRule[] {
  const rules: LandlockRule[] = [{ cls: 'list', path: '/' }];
  for (const o of ops) {
    if (o.op === 'ro-bind') rules.push({ cls: 'read', path: o.dest });
    else if (o.op === 'bind' || o.op === 'tmpfs') rules.push({ cls: 'write', path: o.dest });
    else if (o.op === 'proc') rules.push({ cls: 'proc', path: o.dest });
    else if (o.op === 'dev') rules.push({ cls: 'dev', path: o.dest });
  }
  return rules;
}

/** The view as the result reports it (the helper adds what it masked). */
export function describeView(ops: readonly ViewOp[]): FilesystemView {
  const view: FilesystemView = { root: 'fresh', readOnly: [], readWrite: [], tmpfs: [], masked: [] };
  for (const o of ops) {
    if (o.op === 'ro-bind') view.readOnly.push(o.dest);
    else if (o.op === 'bind') view.readWrite.push(o.dest);
    else if (o.op === 'tmpfs') view.tmpfs.push(`${o.dest} (${o.bytes} bytes${o.inodes === null ? '' : `, ${o.inodes} files`})`);
  }
  return view;
}

export function hostView(): FilesystemView {
  return { root: 'host', readOnly: [], readWrite: ['/'], tmpfs: [], masked: [] };
}
