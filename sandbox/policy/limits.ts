// Resource limits of a run (docs/policy.md, "Limits"): their names, defaults and spellings, and
// the rule that a session may ask for at most what the worker allows. Pure (the workflow checks).
import { SandboxPolicyError } from '../errors';
import { printable } from '../vocabulary';

import { LIMIT_NAMES, type LimitName } from '../vocabulary';

export type Limits = Record<LimitName, number>;

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/**
 * Defaults that stop a fork bomb or a runaway write before it harms the worker. processes x
 * openFiles (262,144) stays within 1/8 of a typical host's file table; a smaller one lowers
 * openFiles at run time (sandbox/contain/file-table.ts).
 */
export const DEFAULT_RUN_LIMITS: Readonly<Limits> = Object.freeze({
  processes: 256,
  memoryBytes: 4 * GiB,
  fileSizeBytes: 4 * GiB,
  openFiles: 1024,
  cpuSeconds: 3600,
  tmpBytes: 512 * MiB,
});

/** The command line's names (`--limit memory=2G`) for the ceiling's fields. */
export const LIMIT_FLAGS: Readonly<Record<string, LimitName>> = Object.freeze({
  processes: 'processes',
  memory: 'memoryBytes',
  'file-size': 'fileSizeBytes',
  'open-files': 'openFiles',
  'cpu-seconds': 'cpuSeconds',
  tmp: 'tmpBytes',
});

const SIZES = new Set<LimitName>(['memoryBytes', 'fileSizeBytes', 'tmpBytes']);
const MINIMUM: Readonly<Limits> = { processes: 8, memoryBytes: 16 * MiB, fileSizeBytes: 1, openFiles: 16, cpuSeconds: 1, tmpBytes: MiB };

/** `NAME=VALUE` as the command line spells it; sizes take K, M, G (powers of 1024). */
export function parseLimitFlag(text: string): [LimitName, number] {
  const eq = text.indexOf('=');
  const flag = eq < 0 ? text : text.slice(0, eq);
  const name = LIMIT_FLAGS[flag];
  if (!name || eq < 0) {
    throw new SandboxPolicyError(`--limit '${printable(text)}': write NAME=VALUE with NAME one of ${Object.keys(LIMIT_FLAGS).join(', ')}`, { entry: text });
  }
  const m = /^([1-9][0-9]*)([KMG]?)$/.exec(text.slice(eq + 1));
  if (!m || (m[2] && !SIZES.has(name))) {
    const example = SIZES.has(name) ? `${flag}=512M` : `${flag}=${DEFAULT_RUN_LIMITS[name]}`;
    throw new SandboxPolicyError(`--limit '${printable(text)}': write a positive whole number${SIZES.has(name) ? ' with an optional K, M or G' : ''}, as in ${example}`, { entry: text });
  }
  const unit = m[2] === 'K' ? 1024 : m[2] === 'M' ? MiB : m[2] === 'G' ? GiB : 1;
  return [name, Number(m[1]) * unit];
}

/** A limits object: known names, whole numbers at least the minimum. */
export function checkLimits(raw: unknown, field: string): Partial<Limits> {
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new SandboxPolicyError(`${field} must be an object such as { processes: 256, memoryBytes: 2147483648 }`, { entry: String(raw) });
  }
  const out: Partial<Limits> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    if (!(LIMIT_NAMES as readonly string[]).includes(key)) {
      throw new SandboxPolicyError(`${field} has an unknown limit '${printable(key)}': use ${LIMIT_NAMES.join(', ')}`, { entry: key });
    }
    const name = key as LimitName;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < MINIMUM[name]) {
      throw new SandboxPolicyError(`${field}.${name} must be a whole number of at least ${MINIMUM[name]}, not ${printable(String(value))}`, { entry: key });
    }
    out[name] = value;
  }
  return out;
}

/**
 * A run's limits: the session's where it sets them, the defaults elsewhere, and never above the
 * worker's (a default above the worker's is lowered to it; a session asking for more is refused).
 */
export function resolveLimits(session: unknown, cap: Partial<Limits> = {}): Limits {
  const asked = checkLimits(session, 'limits');
  const out = { ...DEFAULT_RUN_LIMITS };
  for (const name of LIMIT_NAMES) {
    const max = cap[name];
    const want = asked[name];
    if (want !== undefined && max !== undefined && want > max) {
      throw new SandboxPolicyError(`limits.${name} ${want} exceeds the worker ceiling's ${max}: write ${max} or less`, { entry: name, ceiling: 'worker limits' });
    }
    out[name] = want ?? (max !== undefined ? Math.min(max, out[name]) : out[name]);
  }
  return out;
}
