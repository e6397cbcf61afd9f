// One sandboxed run: policy -> plan -> egress -> a prepared sandbox -> command -> result.
import { performance } from 'node:perf_hooks';
import { appliedPolicy } from './applied-policy';
import { fitFileTable } from '../contain/file-table';
import { canSwitchIdentity, type IdAllocator } from '../contain/identity';
import { checkHostPaths, checkWorkdir } from '../contain/workdir';
import { SandboxBackendError, SandboxInputError, SandboxInternalError } from '../errors';
import { pendingWaits, waitingFor } from '../waits';
import { checkStaticAnswers, compilePolicy, normalizePath, type LimitName } from '../policy';
import { RecordLog } from '../proxy';
import type { Backend, RunResult } from '../types';
import { ensureBackendUsable } from './backends';
import { startEgress } from './egress';
import { commandEnv } from './env';
import { interpretExit, limitBySignal } from './exit';
import { BoundedOutput, DEFAULT_OUTPUT_LIMIT } from './output';
import { planRun } from './plan';
import { prepareSandbox, type PreparedSandbox, type SandboxTemplate, type Workdir } from './prepare';
import { DEFAULT_KILL_GRACE_MS, Terminator } from './terminate';
import type { WarmPool } from './warm-pool';
import { validateRunOptions, type RunOptions } from './options';

export type { RunOptions } from './options';

/** How often a run's pids cgroup is checked for a fork bomb pinned at its limit. */
const PINNED_CHECK_MS = 200;
/** How long the output pipes may stay open after the sandbox's process has exited. */
const OUTPUT_AFTER_EXIT_MS = 2000;
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

export async function runWith(options: RunOptions, shared: RunnerShare): Promise<RunResult> {
  const started = performance.now();
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
  const plan = planRun(policy, backend);
  const log = new RecordLog(options.maxRecords);
  const answers = checkStaticAnswers(options.resolveStatic);
  const egress = await startEgress(plan, policy, log, { answers, proxyLimits: options.proxyLimits });

  const template: SandboxTemplate = {
    backend,
    isolateNetwork: plan.isolateNetwork,
    listen: egress.insidePorts,
    capture: egress.capture,
    workdir,
    readOnlyPaths: policy.readOnlyPaths,
    readWritePaths: policy.readWritePaths,
    tmpBytes: policy.limits.tmpBytes,
    identity: options.runAs ?? (canSwitchIdentity() ? 'fresh' : 'caller'),
  };
  let prepared: PreparedSandbox;
  try {
    prepared = shared.pool?.take(template) ?? prepareSandbox(template, shared.ids);
  } catch (err) {
    await egress.close();
    throw err;
  }
  const stdout = new BoundedOutput(options.outputLimitBytes ?? DEFAULT_OUTPUT_LIMIT);
  const stderr = new BoundedOutput(options.outputLimitBytes ?? DEFAULT_OUTPUT_LIMIT);
  const sandbox = prepared.process;
  let stopReason: 'timeout' | 'cancelled' | null = null;
  let outcome: { code: number | null; signal: NodeJS.Signals | null };
  let limitHit: LimitName | null = null;
  try {
    prepared.cgroup?.apply(policy.limits.memoryBytes, policy.limits.processes);
    const env = commandEnv({ inherit: options.inheritEnv ?? false, extra: options.env, proxies: egress.urls, workdir: prepared.workdir.inside });
    const cwd = input.cwd === undefined ? prepared.workdir.inside : input.cwd.startsWith('/') ? input.cwd : `${prepared.workdir.inside}/${input.cwd}`;
    const { processes, fileSizeBytes, openFiles, cpuSeconds } = policy.limits;
    // Without a memory cgroup, memory is capped per process (docs/security-model.md, "Limits").
    const dataBytes = prepared.cgroup?.memory ? undefined : policy.limits.memoryBytes;
    outcome = await waitingFor("the command's process tree to end", new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      if (options.signal?.aborted) {
        stopReason = 'cancelled';
        sandbox.discard();
        resolve({ code: null, signal: null });
        return;
      }
      const proc = sandbox.proc;
      if (!proc.stdout || !proc.stderr) {
        // spawn could not make the output pipes: the host is out of file descriptors.
        reject(new SandboxBackendError(backend, `cannot start the ${backend} sandbox: no pipes for its output (the host or the worker is out of file descriptors: ENFILE/EMFILE)`));
        return;
      }
      const terminator = new Terminator(proc, sandbox.pidNamespace, options.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
      const stop = (why: 'timeout' | 'cancelled') => {
        stopReason ??= why;
        terminator.start();
      };
      const timer = input.timeoutMs ? setTimeout(() => stop('timeout'), input.timeoutMs) : null;
      // A fork bomb under a pids cgroup is stopped by the kernel at the limit, and would wait
      // there until its timeout: pinned for two checks in a row, the run is ended (PID 1 counts
      // itself where there is no such cgroup, but it cannot see what the command hides from it).
      let pinnedChecks = 0;
      const watchdog = prepared.cgroup?.pids && sandbox.pidNamespace
        ? setInterval(() => {
            pinnedChecks = prepared.cgroup!.atProcessLimit() ? pinnedChecks + 1 : 0;
            if (pinnedChecks === 2) terminator.processLimitReached();
          }, PINNED_CHECK_MS)
        : null;
      const onAbort = () => stop('cancelled');
      options.signal?.addEventListener('abort', onAbort, { once: true });

      proc.stdout.on('data', (chunk: Buffer) => {
        stdout.push(chunk);
        options.onOutput?.('stdout', chunk);
      });
      proc.stderr.on('data', (chunk: Buffer) => {
        stderr.push(chunk);
        options.onOutput?.('stderr', chunk);
      });
      proc.on('error', (err) => {
        cleanup();
        reject(new SandboxBackendError(backend, `cannot start the ${backend} sandbox: ${err.message}`, { cause: err }));
      });
      proc.on('close', (code, signal) => {
        cleanup();
        resolve({ code, signal });
      });
      // 'close' waits for the output pipes too. Inside a PID namespace they close with its PID 1;
      // without one (backend none) a daemon the command left could hold them for ever.
      proc.once('exit', () => {
        const late = setTimeout(() => {
          proc.stdout?.destroy();
          proc.stderr?.destroy();
        }, OUTPUT_AFTER_EXIT_MS);
        proc.once('close', () => clearTimeout(late));
      });
      const spec = { command: input.command, env, cwd, stdin: options.stdin, rlimits: { processes, fileSizeBytes, openFiles, cpuSeconds, dataBytes } };
      sandbox.start(spec, egress.adopt);
      function cleanup() {
        if (timer) clearTimeout(timer);
        if (watchdog) clearInterval(watchdog);
        terminator.dispose();
        options.signal?.removeEventListener('abort', onAbort);
      }
    }));
  } catch (err) {
    // The run failed on our side: its processes go before anything they use is released.
    await killSandbox(sandbox);
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

  const exit = interpretExit(sandbox.exit, outcome, stopReason, stderr, backend);
  const records = log.snapshot();
  const limit = (sandbox.exit?.limit as LimitName | undefined) ?? limitHit ?? limitBySignal(exit.signal);
  return {
    exitCode: exit.exitCode,
    signal: exit.signal,
    termination: exit.termination,
    ...(limit ? { limit } : {}),
    durationMs: Math.round((performance.now() - started) * 1000) / 1000,
    stdout: stdout.text(),
    stderr: stderr.text(),
    stdoutBytes: stdout.total,
    stderrBytes: stderr.total,
    stdoutTruncated: stdout.truncated,
    stderrTruncated: stderr.truncated,
    backend,
    workdir: prepared.workdir.inside,
    policy: appliedPolicy(policy, backend, prepared, sandbox.setup, egress.capture ? { ipv6: egress.capturedIpv6() } : null, { openFiles: fitted.note }),
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

/** Ends a sandbox whose run failed on our side, and waits (boundedly) for its process to go. */
async function killSandbox(sandbox: PreparedSandbox['process']): Promise<void> {
  if (!sandbox.alive) return;
  const gone = new Promise<void>((resolve) => sandbox.proc.once('exit', () => resolve()));
  sandbox.proc.kill('SIGKILL');
  await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, OUTPUT_AFTER_EXIT_MS))]);
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

