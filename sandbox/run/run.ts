// One sandboxed run: policy -> plan -> egress -> a prepared sandbox -> command -> result.
import { performance } from 'node:perf_hooks';
import { appliedPolicy } from './applied-policy';
import { fitFileTable } from '../contain/file-table';
import { canSwitchIdentity, type IdAllocator } from '../contain/identity';
import { checkHostPaths, checkWorkdir } from '../contain/workdir';
import { SandboxBackendError, SandboxInputError, SandboxInternalError } from '../errors';
import { pendingWaits, waitingFor } from '../waits';
import { checkStaticAnswers, compilePolicy, normalizePath, type CompiledPolicy, type LimitName } from '../policy';
import { RecordLog } from '../proxy';
import type { Backend, RunResult } from '../types';
import { ensureBackendUsable } from './backends';
import { startEgress, type Egress } from './egress';
import { commandEnv } from './env';
import { interpretExit, limitBySignal } from './exit';
import { BoundedOutput, DEFAULT_OUTPUT_LIMIT } from './output';
import { planRun, type RunPlan } from './plan';
import { prepareSandbox, type PreparedSandbox, type SandboxTemplate, type Workdir } from './prepare';
import { killSandbox, runCommand, type CommandOutcome } from './command';
import type { CommandSpec } from './sandbox-process';
import type { WarmPool } from './warm-pool';
import { validateRunOptions, type RunOptions } from './options';

export type { RunOptions } from './options';

/**
 * A bound on closing the proxies once the command is gone. Each tunnel's end is bounded well
 * inside it (the relay's answer: 2 s); this one catches a bound that broke.
 */
const RUN_END_BOUND_MS = 5000;

/** Runs one command under a network policy and returns its result. Never leaves a process behind. */
export function runSandboxed(options: RunOptions): Promise<RunResult> {
  return runWith(options, {});
}

/** What a SandboxRunner lends a run: its warm sandboxes and its range of host ids. */
export type RunnerShare = { pool?: WarmPool; ids?: IdAllocator };

/** A run's input checked and its policy compiled: everything that can refuse it before anything starts. */
type CheckedRun = {
  input: ReturnType<typeof validateRunOptions>;
  policy: CompiledPolicy;
  /** Why openFiles is lower than asked, where it is (contain/file-table.ts). */
  openFilesNote?: string;
  backend: Backend;
  workdir: Workdir | 'fresh';
  plan: RunPlan;
};

export async function runWith(options: RunOptions, shared: RunnerShare): Promise<RunResult> {
  const started = performance.now();
  const run = checkRun(options);
  const log = new RecordLog(options.maxRecords);
  const egress = await startEgress(run.plan, run.policy, log, { answers: checkStaticAnswers(options.resolveStatic), proxyLimits: options.proxyLimits });
  const template = templateFor(run, egress, options);
  let prepared: PreparedSandbox;
  try {
    prepared = shared.pool?.take(template) ?? prepareSandbox(template, shared.ids);
  } catch (err) {
    await egress.close();
    throw err;
  }
  const stdout = new BoundedOutput(options.outputLimitBytes ?? DEFAULT_OUTPUT_LIMIT);
  const stderr = new BoundedOutput(options.outputLimitBytes ?? DEFAULT_OUTPUT_LIMIT);
  let outcome: CommandOutcome;
  let limitHit: LimitName | null = null;
  try {
    prepared.cgroup?.apply(run.policy.limits.memoryBytes, run.policy.limits.processes);
    outcome = await runCommand(run.backend, prepared, commandSpec(run, prepared, egress, options), egress.adopt, { stdout, stderr }, {
      timeoutMs: run.input.timeoutMs, signal: options.signal, killGraceMs: options.killGraceMs, onOutput: options.onOutput,
    });
  } catch (err) {
    // The run failed on our side: its processes go before anything they use is released.
    await killSandbox(prepared.process);
    throw err;
  } finally {
    shared.pool?.refill(template);
    try {
      await endEgress(egress);
    } finally {
      limitHit = prepared.cgroup?.limitHit() ?? null;
      prepared.release();
    }
  }
  return resultOf(run, prepared, egress, log, { outcome, limitHit, stdout, stderr, durationMs: performance.now() - started });
}

function checkRun(options: RunOptions): CheckedRun {
  const input = validateRunOptions(options);
  const compiled = compilePolicy(options, options.call, options.worker);
  const fitted = fitFileTable(compiled.limits);
  const policy = { ...compiled, limits: fitted.limits };
  const backend: Backend = policy.backend;
  if (backend === 'none' && policy.mode !== 'open') {
    throw new SandboxBackendError(
      backend,
      `backend none has no namespace and cannot enforce networkMode '${policy.mode}': use backend bubblewrap or userns (--backend userns works without root)`,
    );
  }
  ensureBackendUsable(backend);
  checkHostPaths(policy.readOnlyPaths, 'readOnlyPaths');
  checkHostPaths(policy.readWritePaths, 'readWritePaths');
  const workdir = options.workdir === undefined ? ('fresh' as const) : given(options.workdir, options.workdirInside, backend);
  return { input, policy, openFilesNote: fitted.note, backend, workdir, plan: planRun(policy, backend) };
}

/** What the run's sandbox is prepared from (or taken from the warm pool by). */
function templateFor(run: CheckedRun, egress: Egress, options: RunOptions): SandboxTemplate {
  return {
    backend: run.backend,
    isolateNetwork: run.plan.isolateNetwork,
    listen: egress.insidePorts,
    capture: egress.capture,
    workdir: run.workdir,
    readOnlyPaths: run.policy.readOnlyPaths,
    readWritePaths: run.policy.readWritePaths,
    tmpBytes: run.policy.limits.tmpBytes,
    identity: options.runAs ?? (canSwitchIdentity() ? 'fresh' : 'caller'),
  };
}

/** argv, environment, cwd and limits, as sandbox-init takes them. */
function commandSpec(run: CheckedRun, prepared: PreparedSandbox, egress: Egress, options: RunOptions): CommandSpec {
  const inside = prepared.workdir.inside;
  const cwd = run.input.cwd;
  const { processes, fileSizeBytes, openFiles, cpuSeconds, memoryBytes } = run.policy.limits;
  return {
    command: run.input.command,
    env: commandEnv({ inherit: options.inheritEnv ?? false, extra: options.env, proxies: egress.urls, workdir: inside }),
    cwd: cwd === undefined ? inside : cwd.startsWith('/') ? cwd : `${inside}/${cwd}`,
    stdin: options.stdin,
    // Without a memory cgroup, memory is capped per process (docs/security-model.md, "Limits").
    rlimits: { processes, fileSizeBytes, openFiles, cpuSeconds, dataBytes: prepared.cgroup?.memory ? undefined : memoryBytes },
  };
}

/** The RunResult: how it ended, its output, the policy as applied, its records. */
function resultOf(
  run: CheckedRun,
  prepared: PreparedSandbox,
  egress: Egress,
  log: RecordLog,
  done: { outcome: CommandOutcome; limitHit: LimitName | null; stdout: BoundedOutput; stderr: BoundedOutput; durationMs: number },
): RunResult {
  const sandbox = prepared.process;
  const { outcome, stdout, stderr } = done;
  const exit = interpretExit(sandbox.exit, outcome, outcome.stopReason, stderr, run.backend);
  const records = log.snapshot();
  const limit = (sandbox.exit?.limit as LimitName | undefined) ?? done.limitHit ?? limitBySignal(exit.signal);
  return {
    exitCode: exit.exitCode,
    signal: exit.signal,
    termination: exit.termination,
    ...(limit ? { limit } : {}),
    durationMs: Math.round(done.durationMs * 1000) / 1000,
    stdout: stdout.text(),
    stderr: stderr.text(),
    stdoutBytes: stdout.total,
    stderrBytes: stderr.total,
    stdoutTruncated: stdout.truncated,
    stderrTruncated: stderr.truncated,
    backend: run.backend,
    workdir: prepared.workdir.inside,
    policy: appliedPolicy(run.policy, run.backend, prepared, sandbox.setup, egress.capture ? { ipv6: egress.capturedIpv6() } : null, { openFiles: run.openFilesNote }),
    allowed: records.allowed,
    denied: records.denied,
    recordsDropped: records.dropped,
  };
}

/**
 * The run's proxies close: every tunnel still open is ended and recorded as 'run-end', each piece
 * within its own bound (docs/mechanism.md, "A run always ends"). Past RUN_END_BOUND_MS something
 * broke that bound: the run fails, naming what it waited for, rather than hang its caller.
 */
async function endEgress(egress: { close(): Promise<void> }): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const overran = new Promise<'overran'>((resolve) => (timer = setTimeout(() => resolve('overran'), RUN_END_BOUND_MS)));
  const closed = waitingFor("the run's proxies to close", egress.close());
  try {
    if ((await Promise.race([closed, overran])) === 'overran') {
      const waits = pendingWaits().filter((w) => w !== "the run's proxies to close");
      throw new SandboxInternalError(
        `the run's command ended, but its proxies did not close within ${RUN_END_BOUND_MS / 1000} s` +
          (waits.length > 0 ? ` (waiting for ${waits.join('; ')})` : ''),
      );
    }
  } finally {
    clearTimeout(timer);
  }
}

/** A caller's work dir, checked; it appears at its own path unless told otherwise. */
function given(dir: string, inside: string | undefined, backend: Backend): Workdir {
  const host = checkWorkdir(dir);
  if (inside !== undefined && backend !== 'none') {
    if (!inside.startsWith('/') || normalizePath(inside) !== inside || inside === '/') {
      throw new SandboxInputError(`workdirInside ${JSON.stringify(inside)} must be a canonical absolute path other than /`);
    }
    return { host, inside };
  }
  return { host, inside: host };
}

