// What a caller may ask of one run, and the checks that turn bad input into a clear error before
// anything starts.
import { SandboxInputError } from '../errors';
import type { HostIdentity, IdAllocator } from '../contain/identity';
import { canonicalizeHost, isHostProblem, type FilesystemCeiling, type NetworkCeiling, type PerCallNetwork, type WorkerCeiling } from '../policy';
import type { ProxyLimits } from '../proxy/context';
import type { Backend } from '../types';
import { assertBackend } from './backends';
import type { WarmPool } from './warm-pool';

export type RunOptions = NetworkCeiling & FilesystemCeiling & {
  /** argv of the command; nothing is interpreted by a shell unless you run one. */
  command: readonly string[];
  /** Default 'bubblewrap'. */
  backend?: Backend;
  /** Per-call narrowing of the ceiling (DESIGN 3.1). */
  call?: PerCallNetwork;
  /** The operator's ceiling, checked first (the Temporal worker passes its own). */
  worker?: WorkerCeiling;
  /** Added to the command's environment. */
  env?: Readonly<Record<string, string>>;
  /** Pass the whole caller environment through (the CLI does); default: PATH, HOME, LANG and a few more. */
  inheritEnv?: boolean;
  /** The run's read-write host directory; default a fresh empty one, removed afterwards. */
  workdir?: string;
  /** Where the command sees the work dir; default its host path (or /workspace for a fresh one). */
  workdirInside?: string;
  /** The command's host user: 'caller' (the default unless root), or ids (root only). A root
   * process without this gives each run ids of its own from a range (docs/security-model.md). */
  runAs?: 'caller' | HostIdentity;
  /** Inside the view: absolute, or relative to the work dir; default the work dir. */
  cwd?: string;
  stdin?: string;
  timeoutSeconds?: number;
  /** Between SIGTERM and SIGKILL when a run is ended; default 10 s. */
  killGraceMs?: number;
  /** Static answers for the proxies' resolver, consulted before DNS (like curl --resolve). */
  resolveStatic?: ReadonlyMap<string, readonly string[]>;
  /** Per stream; default 256 KiB (head and tail kept). */
  outputLimitBytes?: number;
  /** Per list (allowed, denied); default 1000. */
  maxRecords?: number;
  proxyLimits?: Partial<ProxyLimits>;
  /** Aborting ends the run's process tree; the result says 'cancelled'. */
  signal?: AbortSignal;
  /** Every chunk of output as it arrives (the CLI passes it through; the activity heartbeats). */
  onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
  /** Take the run's namespaces from these warm sandboxes (see createSandboxRunner). */
  pool?: WarmPool;
  /** Where a root process takes each run's host ids from (see createSandboxRunner's uidRange). */
  ids?: IdAllocator;
};

export type ValidatedRun = { command: string[]; backend: Backend; cwd: string | undefined; timeoutMs: number | null };

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function validateRunOptions(options: RunOptions): ValidatedRun {
  const { command } = options;
  if (!Array.isArray(command) || command.length === 0 || command.some((a) => typeof a !== 'string')) {
    throw new SandboxInputError('command must be a non-empty list of strings (argv)');
  }
  if (command[0] === '') throw new SandboxInputError('command[0] is empty: name the program to run');
  for (const arg of command) {
    if (arg.includes('\0')) throw new SandboxInputError(`command argument ${JSON.stringify(arg)} contains a NUL byte`);
  }
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (!ENV_KEY.test(key)) throw new SandboxInputError(`environment variable name ${JSON.stringify(key)} is not valid: use letters, digits and _`);
    if (typeof value !== 'string' || value.includes('\0')) {
      throw new SandboxInputError(`environment variable ${key} must be a string without NUL bytes`);
    }
  }
  if (options.cwd !== undefined && (typeof options.cwd !== 'string' || options.cwd === '' || options.cwd.includes('\0'))) {
    throw new SandboxInputError(`cwd ${JSON.stringify(options.cwd)} must be a directory inside the view (absolute, or relative to the work dir)`);
  }
  let timeoutMs: number | null = null;
  if (options.timeoutSeconds !== undefined) {
    if (!(typeof options.timeoutSeconds === 'number' && options.timeoutSeconds > 0 && Number.isFinite(options.timeoutSeconds))) {
      throw new SandboxInputError(`timeoutSeconds must be a positive number of seconds, not ${String(options.timeoutSeconds)}`);
    }
    timeoutMs = Math.round(options.timeoutSeconds * 1000);
  }
  if (options.stdin !== undefined && typeof options.stdin !== 'string') {
    throw new SandboxInputError('stdin must be a string');
  }
  return { command: [...command], backend: assertBackend(options.backend ?? 'bubblewrap'), cwd: options.cwd, timeoutMs };
}

/** Parses static resolver answers ("NAME=ADDRESS", repeatable) into canonical form. */
export function parseResolveAnswers(pairs: readonly string[]): Map<string, string[]> {
  const answers = new Map<string, string[]>();
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new SandboxInputError(`--resolve ${JSON.stringify(pair)}: write NAME=ADDRESS, e.g. api.example.test=127.0.0.1`);
    const name = canonicalizeHost(pair.slice(0, eq));
    const address = canonicalizeHost(pair.slice(eq + 1));
    if (isHostProblem(name) || name.kind !== 'name') {
      throw new SandboxInputError(`--resolve ${JSON.stringify(pair)}: ${isHostProblem(name) ? name.problem : 'the left side must be a DNS name'}`);
    }
    if (isHostProblem(address) || address.kind === 'name') {
      throw new SandboxInputError(`--resolve ${JSON.stringify(pair)}: the right side must be an IP address`);
    }
    const list = answers.get(name.host) ?? [];
    list.push(address.host);
    answers.set(name.host, list);
  }
  return answers;
}
