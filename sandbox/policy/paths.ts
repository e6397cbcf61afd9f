// Host paths a ceiling adds to the view (readOnlyPaths, readWritePaths; docs/policy.md,
// "Filesystem"). Pure: the workflow checks spelling and narrowing before anything is scheduled;
// whether a path exists (and has no symlink on it) is checked by the worker, which can look.
import { SandboxPolicyError } from '../errors';
import { printable } from '../vocabulary';

/** Never added to a view: the root itself, and the kernel's own filesystems (the view has fresh ones). */
export const FORBIDDEN_PATHS: readonly string[] = ['/', '/proc', '/sys', '/dev'];

/** The view's own directories (docs/security-model.md, "The view"): never given read-write. */
export const SYSTEM_PATHS: readonly string[] = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/etc'];

/** `/a/b/../c/` -> `/a/c`: the spelling to suggest for a path that is not canonical. */
export function normalizePath(raw: string): string {
  const out: string[] = [];
  for (const part of raw.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

/** True when `path` is `prefix` or lies beneath it. */
export function pathWithin(path: string, prefix: string): boolean {
  return prefix === '/' || path === prefix || path.startsWith(`${prefix}/`);
}

/**
 * Checks one path entry: a string, absolute, canonical (no `.`, `..`, `//` or trailing slash),
 * not `/`, `/proc`, `/sys` or `/dev` nor beneath them. Returns it; throws SandboxPolicyError
 * saying what to write instead.
 */
function checkPathEntry(raw: unknown, field: string): string {
  if (typeof raw !== 'string') {
    throw new SandboxPolicyError(`${field} entry ${printable(String(raw))} is not a string: write an absolute path such as '/opt/tools'`, { entry: String(raw) });
  }
  const shown = printable(raw);
  if (/[\u0000-\u001f\u007f]/.test(raw)) {
    throw new SandboxPolicyError(`${field} entry '${shown}' contains a control character: write a plain absolute path`, { entry: raw });
  }
  if (!raw.startsWith('/')) {
    throw new SandboxPolicyError(`${field} entry '${shown}' is relative: write an absolute path such as '/opt/tools'`, { entry: raw });
  }
  const canonical = normalizePath(raw);
  for (const bad of FORBIDDEN_PATHS) {
    if (pathWithin(canonical, bad) && (bad !== '/' || canonical === '/')) {
      const what = bad === '/' ? 'the whole host' : `${bad} (the view has a fresh one of its own)`;
      throw new SandboxPolicyError(`${field} entry '${shown}' would add ${what}: name a directory of your own, such as '/opt/tools'`, { entry: raw });
    }
  }
  if (canonical !== raw) {
    throw new SandboxPolicyError(`${field} entry '${shown}' is not canonical: write '${canonical}'`, { entry: raw });
  }
  return raw;
}

/** A read-write path may not be, or contain, one of the view's system directories. */
function checkWritable(path: string, field: string): void {
  const hit = SYSTEM_PATHS.find((s) => pathWithin(s, path) || pathWithin(path, s));
  if (hit) {
    throw new SandboxPolicyError(
      `${field} entry '${path}' would make the system directory ${hit} writable: list it in readOnlyPaths, or name a directory of your own`,
      { entry: path },
    );
  }
}

/** Every entry of `list` must lie within some entry of `ceiling`. */
export function requirePathsWithin(list: readonly string[], ceiling: readonly string[], field: string, ceilingName: string): void {
  for (const p of list) {
    if (ceiling.some((c) => pathWithin(p, c))) continue;
    const shown = ceiling.length === 0 ? '[] (empty)' : `[${ceiling.map((c) => `'${c}'`).join(', ')}]`;
    throw new SandboxPolicyError(
      `${field} entry '${p}' is not within the ${ceilingName} ${shown}: remove it, or widen the ${ceilingName}`,
      { entry: p, ceiling: ceilingName },
    );
  }
}

export function checkPathList(list: unknown, field: string, writable = false): string[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    throw new SandboxPolicyError(`${field} must be an array of absolute paths, such as ['/opt/tools']`, { entry: String(list) });
  }
  const out: string[] = [];
  for (const raw of list) {
    const p = checkPathEntry(raw, field);
    if (writable) checkWritable(p, field);
    if (!out.includes(p)) out.push(p);
  }
  return out;
}
