// The words every layer shares: the backends, the fields of a ceiling, and what a command and a
// timeout must be. The CLI, the workflow side and the worker all check with these, so a mistake
// gets the same error wherever it is made. Pure: the workflow bundle loads this file.
import { SandboxInputError, SandboxPolicyError } from './errors';

/** Text made safe for a one-line message: control characters and line breaks escaped. */
export function printable(text: string): string {
  return String(text).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (ch) => {
    const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    return named[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** Where a worker's fresh work dir, and a session's, appears inside the view. */
export const WORKDIR_INSIDE = '/workspace';

/** The limits a ceiling may set (docs/policy.md, "Limits"); sandbox/policy/limits.ts says how. */
export const LIMIT_NAMES = ['processes', 'memoryBytes', 'fileSizeBytes', 'openFiles', 'cpuSeconds', 'tmpBytes'] as const;
export type LimitName = (typeof LIMIT_NAMES)[number];

/** The ways a run is contained (docs/mechanism.md, "Backends"). */
export type Backend = 'bubblewrap' | 'userns' | 'none';
export const BACKENDS: readonly Backend[] = ['bubblewrap', 'userns', 'none'];
export const DEFAULT_BACKEND: Backend = 'bubblewrap';
/** What a worker allows unless its ceiling lists backends: 'none' contains nothing. */
export const DEFAULT_WORKER_BACKENDS: readonly Backend[] = ['bubblewrap', 'userns'];

export function checkBackend(value: unknown, field = 'backend'): Backend {
  if (typeof value === 'string' && (BACKENDS as readonly string[]).includes(value)) return value as Backend;
  throw new SandboxPolicyError(`${field} '${printable(String(value))}' is unknown: write one of ${BACKENDS.join(', ')}`, {
    entry: String(value),
  });
}

/** The fields of a session's ceiling. Whatever else a session is given is activity options. */
export const CEILING_FIELDS = [
  'networkMode', 'networkAllowlist', 'networkDenylist', 'networkProxyUrl', 'networkSocksUrl', 'report', 'backend',
  'readOnlyPaths', 'readWritePaths', 'limits',
] as const;
export type CeilingField = (typeof CEILING_FIELDS)[number];

/** The ceiling's own fields of `from`, and nothing else (a payload may carry more). */
export function pickCeiling<T extends Partial<Record<CeilingField, unknown>>>(from: T | undefined): Pick<T, CeilingField & keyof T> {
  const out: Partial<Record<CeilingField, unknown>> = {};
  for (const field of CEILING_FIELDS) if (from?.[field] !== undefined) out[field] = from[field];
  return out as Pick<T, CeilingField & keyof T>;
}

/** argv, checked: a non-empty list of strings, a program named, no NUL anywhere. */
export function checkArgv(argv: unknown): string[] {
  if (!Array.isArray(argv) || argv.length === 0 || argv.some((a) => typeof a !== 'string')) {
    throw new SandboxInputError('command must be a shell command line or a non-empty list of strings (argv)');
  }
  if (argv[0] === '') throw new SandboxInputError('command[0] is empty: name the program to run');
  const nul = argv.find((a: string) => a.includes('\0'));
  if (nul !== undefined) throw new SandboxInputError(`command argument ${JSON.stringify(nul)} contains a NUL byte`);
  return [...argv];
}

/** A command as run() takes it: a string runs under /bin/sh -c, an array is argv. */
export function toArgv(command: unknown): string[] {
  if (typeof command === 'string') {
    if (command.trim() === '') throw new SandboxInputError('command is empty: give a shell command line or an argv array');
    return checkArgv(['/bin/sh', '-c', command]);
  }
  return checkArgv(command);
}

/** A timeout in seconds: positive and finite. undefined stays undefined (no timeout). */
export function checkTimeoutSeconds(value: unknown, field = 'timeoutSeconds'): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number' && value > 0 && Number.isFinite(value)) return value;
  throw new SandboxInputError(`${field} must be a positive number of seconds, not ${printable(String(value))}`);
}
