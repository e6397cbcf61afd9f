// What a session's file calls and lifetime may be (docs/temporal.md, "Sessions"). Pure: the
// workflow checks a call with it before anything is scheduled, and the worker checks again.
import { SandboxInputError } from '../errors';
import { printable, WORKDIR_INSIDE } from '../vocabulary';

/** getFile's default bound. */
export const DEFAULT_FILE_BYTES = 1024 * 1024;
/**
 * The most a file call may move: one Temporal payload must hold it, and the server refuses a
 * payload over 2 MiB by default; the rest is room for the payload's metadata.
 */
export const MAX_FILE_BYTES = 2 * 1024 * 1024 - 64 * 1024;

const DEFAULT_SESSION_TIMEOUT_SECONDS = 60 * 60;
const MAX_SESSION_TIMEOUT_SECONDS = 24 * 60 * 60;
export const DEFAULT_MAX_SESSIONS = 64;

const MAX_PATH_CHARS = 4096;
const MAX_NAME_BYTES = 255;

/**
 * A file path of a session: relative to its work dir, or absolute beneath /workspace. Returns its
 * names, outermost first. `.`, `..`, empty names and NUL are refused: the worker walks the names
 * one by one, and never resolves a path the command could have shaped.
 */
export function checkSessionPath(raw: unknown): string[] {
  if (typeof raw !== 'string' || raw === '') {
    throw new SandboxInputError(`a session file path must be a non-empty string, relative to the work dir or beneath ${WORKDIR_INSIDE}/`);
  }
  const shown = printable(raw.length > 200 ? `${raw.slice(0, 200)}...` : raw);
  if (raw.includes('\0')) throw new SandboxInputError(`session file path '${shown}' contains a NUL byte`);
  if (raw.length > MAX_PATH_CHARS) throw new SandboxInputError(`session file path '${shown}' is longer than ${MAX_PATH_CHARS} characters`);
  let rel = raw;
  if (raw.startsWith('/')) {
    if (!raw.startsWith(`${WORKDIR_INSIDE}/`)) {
      throw new SandboxInputError(`session file path '${shown}' is outside the work dir: write it relative to the work dir, or beneath ${WORKDIR_INSIDE}/`);
    }
    rel = raw.slice(WORKDIR_INSIDE.length + 1);
  }
  const names = rel.split('/');
  for (const name of names) {
    if (name === '..') throw new SandboxInputError(`session file path '${shown}' contains '..': name the file from the work dir down`);
    if (name === '' || name === '.') {
      throw new SandboxInputError(`session file path '${shown}' is not canonical (an empty name, '.', or a trailing '/'): write it as a/b/file`);
    }
    if (utf8Length(name) > MAX_NAME_BYTES) {
      throw new SandboxInputError(`session file path '${shown}' has a name longer than ${MAX_NAME_BYTES} bytes`);
    }
  }
  return names;
}

/** getFile's maxBytes: a whole number from 0 to MAX_FILE_BYTES. */
export function checkMaxBytes(value: unknown): number {
  if (value === undefined) return DEFAULT_FILE_BYTES;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > MAX_FILE_BYTES) {
    throw new SandboxInputError(
      `maxBytes ${printable(String(value))} must be a whole number from 0 to ${MAX_FILE_BYTES} (what one Temporal payload holds); move larger data in parts, or through the network`,
    );
  }
  return value;
}

/** The size of putFile's data, against the same bound. */
export function checkFileSize(bytes: number, path: string): void {
  if (bytes > MAX_FILE_BYTES) {
    throw new SandboxInputError(`putFile ${printable(path)}: ${bytes} bytes is more than ${MAX_FILE_BYTES} (what one Temporal payload holds); split it, or fetch it through the network`);
  }
}

/** putFile's mode: permission bits only (no set-uid, set-gid or sticky). Default 0o644. */
export function checkFileMode(value: unknown): number {
  if (value === undefined) return 0o644;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0o777) {
    throw new SandboxInputError(`mode ${printable(String(value))} must be permission bits from 0 to 0o777 (no set-uid, set-gid or sticky bit)`);
  }
  return value;
}

/** sessionTimeout in seconds: more than 0, at most 24 hours. */
export function checkSessionTimeoutSeconds(value: unknown): number {
  if (value === undefined) return DEFAULT_SESSION_TIMEOUT_SECONDS;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_SESSION_TIMEOUT_SECONDS) {
    throw new SandboxInputError(`sessionTimeout ${printable(String(value))} s must be more than 0 and at most ${MAX_SESSION_TIMEOUT_SECONDS} s (24 hours)`);
  }
  return value;
}

/** UTF-8 length without TextEncoder, which a workflow's sandbox may not have. */
export function utf8Length(text: string): number {
  let n = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return n;
}
