// What a caller may ask of one run, and the checks that turn bad input into a clear error before
// anything starts.
import { SandboxInputError } from '../errors';
import type { HostIdentity } from '../contain/identity';
import type { CompiledWorkerCeiling, PerCallNetwork, SessionCeiling, StaticAnswersInput, WorkerCeiling } from '../policy';
import { checkArgv, checkTimeoutSeconds } from '../vocabulary';
import type { ProxyLimits } from '../proxy/context';

export type RunOptions = SessionCeiling & {
  /** argv of the command; nothing is interpreted by a shell unless you run one. */
  command: readonly string[];
  /** Per-call narrowing of the ceiling (docs/policy.md, "Narrowing"). */
  call?: PerCallNetwork;
  /** The operator's ceiling, checked first (the Temporal worker passes its own). */
  worker?: WorkerCeiling | CompiledWorkerCeiling;
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
  resolveStatic?: StaticAnswersInput;
  /** Per stream; default 256 KiB (head and tail kept). */
  outputLimitBytes?: number;
  /** Per list (allowed, denied); default 1000. */
  maxRecords?: number;
  proxyLimits?: Partial<ProxyLimits>;
  /** Aborting ends the run's process tree; the result says 'cancelled'. */
  signal?: AbortSignal;
  /** Every chunk of output as it arrives (the CLI passes it through; the activity heartbeats). */
  onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
};

export type ValidatedRun = { command: string[]; cwd: string | undefined; timeoutMs: number | null };

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function validateRunOptions(options: RunOptions): ValidatedRun {
  const command = checkArgv(options.command);
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (!ENV_KEY.test(key)) throw new SandboxInputError(`environment variable name ${JSON.stringify(key)} is not valid: use letters, digits and _`);
    if (typeof value !== 'string' || value.includes('\0')) {
      throw new SandboxInputError(`environment variable ${key} must be a string without NUL bytes`);
    }
  }
  if (options.cwd !== undefined && (typeof options.cwd !== 'string' || options.cwd === '' || options.cwd.includes('\0'))) {
    throw new SandboxInputError(`cwd ${JSON.stringify(options.cwd)} must be a directory inside the view (absolute, or relative to the work dir)`);
  }
  const timeout = checkTimeoutSeconds(options.timeoutSeconds);
  if (options.stdin !== undefined && typeof options.stdin !== 'string') {
    throw new SandboxInputError('stdin must be a string');
  }
  return { command, cwd: options.cwd, timeoutMs: timeout === undefined ? null : Math.round(timeout * 1000) };
}
