// putFile and getFile on a session's work dir (docs/temporal.md, "Files in and out"). The command
// controls every name below the work dir, and may change them while we look, so no path it could
// have shaped is ever resolved: each name is opened relative to the directory opened before it
// (through /proc/self/fd/N, which is openat(2) for a process without it), links are never
// followed, and only regular files are read. A write goes to a new file beside the target and is
// renamed over it, so a reader never sees half a file and a planted link is replaced, not written
// through.
import { randomBytes } from 'node:crypto';
import {
  closeSync, constants, fchmodSync, fchownSync, fstatSync, lstatSync, mkdirSync, openSync, readSync, renameSync, unlinkSync, writeSync,
} from 'node:fs';
import type { HostIdentity } from '../contain/identity';
import { SandboxInputError } from '../errors';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } = constants;

/** The bytes of a regular file beneath `root`, at most `maxBytes` of them. */
export function readSessionFile(root: string, names: readonly string[], maxBytes: number, shown: string): Buffer {
  const dir = openParent(root, names, false, shown);
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO planted here must not hang the worker before fstat tells what it is.
    fd = openAt(dir, names[names.length - 1], O_RDONLY | O_NOFOLLOW | O_NONBLOCK, shown);
  } catch (err) {
    throw fileError(err, shown, 'getFile');
  } finally {
    closeSync(dir);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new SandboxInputError(`getFile ${shown}: not a regular file (${kindOf(st)}): only regular files are read`);
    if (st.size > maxBytes) {
      throw new SandboxInputError(`getFile ${shown}: the file is ${st.size} bytes, more than maxBytes ${maxBytes}: raise maxBytes, or move it in parts`);
    }
    // Read to the end, and one byte past the bound: a file that grows past it while we read is
    // refused, not cut short.
    const buf = Buffer.allocUnsafe(maxBytes + 1);
    let got = 0;
    for (let n; got < buf.length && (n = readSync(fd, buf, got, buf.length - got, null)) > 0; ) got += n;
    if (got > maxBytes) throw new SandboxInputError(`getFile ${shown}: the file grew past maxBytes ${maxBytes} while it was read`);
    return Buffer.from(buf.subarray(0, got));
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `data` as a regular file beneath `root`, made atomically, owned by `owner` (null: the
 * worker's own ids), creating missing directories on the way.
 */
export function writeSessionFile(root: string, names: readonly string[], data: Uint8Array, mode: number, owner: HostIdentity | null, shown: string): void {
  const dir = openParent(root, names, owner, shown);
  const at = (name: string) => `/proc/self/fd/${dir}/${name}`;
  const name = names[names.length - 1];
  const temp = `.put-${randomBytes(8).toString('hex')}`;
  try {
    const existing = lstatOrNull(at(name));
    if (existing && !existing.isFile()) {
      throw new SandboxInputError(`putFile ${shown}: there is a ${kindOf(existing)} there: only a regular file is replaced`);
    }
    const fd = openAt(dir, temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, shown, mode);
    try {
      if (owner) fchownSync(fd, owner.uid, owner.gid);
      fchmodSync(fd, mode); // the mode as given: open(2) narrows it by the worker's umask
      for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
    } finally {
      closeSync(fd);
    }
    renameSync(at(temp), at(name));
  } catch (err) {
    try {
      unlinkSync(at(temp));
    } catch {
      // never made, or already renamed
    }
    throw fileError(err, shown, 'putFile');
  } finally {
    closeSync(dir);
  }
}

/** The directory that holds the last name, opened name by name from `root`; created when `create`. */
function openParent(root: string, names: readonly string[], create: HostIdentity | null | false, shown: string): number {
  let dir = openSync(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  try {
    for (const name of names.slice(0, -1)) {
      let next: number;
      try {
        next = openAt(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, shown);
      } catch (err) {
        if (create === false || (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        mkdirSync(`/proc/self/fd/${dir}/${name}`, { mode: 0o755 });
        next = openAt(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, shown);
        if (create) fchownSync(next, create.uid, create.gid);
      }
      closeSync(dir);
      dir = next;
    }
    return dir;
  } catch (err) {
    closeSync(dir);
    throw fileError(err, shown, create === false ? 'getFile' : 'putFile');
  }
}

function openAt(dir: number, name: string, flags: number, shown: string, mode?: number): number {
  try {
    return openSync(`/proc/self/fd/${dir}/${name}`, flags, mode);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ELOOP') throw new SandboxInputError(`${shown}: '${name}' is a symbolic link: links in the work dir are never followed`);
    // O_DIRECTORY answers ENOTDIR before O_NOFOLLOW's ELOOP: say which it was.
    if (e.code === 'ENOTDIR') {
      const what = lstatOrNull(`/proc/self/fd/${dir}/${name}`)?.isSymbolicLink() ? 'a symbolic link: links in the work dir are never followed' : 'not a directory';
      throw new SandboxInputError(`${shown}: '${name}' is ${what}`);
    }
    throw err;
  }
}

function fileError(err: unknown, shown: string, op: string): Error {
  if (err instanceof SandboxInputError) return new SandboxInputError(err.message.startsWith(op) ? err.message : `${op} ${err.message}`, { cause: err });
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return new SandboxInputError(`${op} ${shown}: no such file in the session's work dir`, { cause: e });
  if (e.code === 'EISDIR') return new SandboxInputError(`${op} ${shown}: is a directory`, { cause: e });
  if (e.code === 'EACCES' || e.code === 'EPERM') return new SandboxInputError(`${op} ${shown}: permission denied (the command changed its permissions)`, { cause: e });
  if (e.code === 'ENOSPC' || e.code === 'EDQUOT') return new SandboxInputError(`${op} ${shown}: no space left for it on the worker`, { cause: e });
  return e;
}

function lstatOrNull(p: string) {
  try {
    return lstatSync(p);
  } catch {
    return null;
  }
}

function kindOf(st: { isDirectory(): boolean; isSymbolicLink(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (st.isDirectory()) return 'directory';
  if (st.isSymbolicLink()) return 'symbolic link';
  if (st.isFIFO()) return 'FIFO';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'device';
  return 'special file';
}
