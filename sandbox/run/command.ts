// The command's lifetime inside a prepared sandbox (docs/mechanism.md, "Ending a run"): started
// with its spec, its output collected, ended by its timeout, a cancellation or a fork bomb
// pinned at its pids cgroup's limit, and over once its process and output pipes are closed,
// within a bound even where a daemon it left holds them.
import { SandboxBackendError } from '../errors';
import type { Backend } from '../types';
import { waitingFor } from '../waits';
import type { BoundedOutput } from './output';
import type { PreparedSandbox } from './prepare';
import type { CommandSpec } from './sandbox-process';
import { DEFAULT_KILL_GRACE_MS, Terminator } from './terminate';

/** How often a run's pids cgroup is checked for a fork bomb pinned at its limit. */
const PINNED_CHECK_MS = 200;
/** How long the output pipes may stay open after the sandbox's process has exited. */
const OUTPUT_AFTER_EXIT_MS = 2000;

export type StopReason = 'timeout' | 'cancelled';
export type CommandOutcome = { code: number | null; signal: NodeJS.Signals | null; stopReason: StopReason | null };

export type CommandControls = {
  timeoutMs?: number | null;
  signal?: AbortSignal;
  killGraceMs?: number;
  onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
};

/** Runs `spec` in `prepared` and resolves once it is over, however it ends. */
export function runCommand(
  backend: Backend,
  prepared: PreparedSandbox,
  spec: CommandSpec,
  adopt: (name: string, handle: object) => void,
  output: { stdout: BoundedOutput; stderr: BoundedOutput },
  controls: CommandControls,
): Promise<CommandOutcome> {
  const sandbox = prepared.process;
  let stopReason: StopReason | null = null;
  return waitingFor("the command's process tree to end", new Promise<CommandOutcome>((resolve, reject) => {
    if (controls.signal?.aborted) {
      sandbox.discard();
      resolve({ code: null, signal: null, stopReason: 'cancelled' });
      return;
    }
    const proc = sandbox.proc;
    if (!proc.stdout || !proc.stderr) {
      // spawn could not make the output pipes: the host is out of file descriptors.
      reject(new SandboxBackendError(backend, `cannot start the ${backend} sandbox: no pipes for its output (the host or the worker is out of file descriptors: ENFILE/EMFILE)`));
      return;
    }
    const terminator = new Terminator(proc, sandbox.pidNamespace, controls.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
    const stop = (why: StopReason): void => {
      stopReason ??= why;
      terminator.start();
    };
    const timer = controls.timeoutMs ? setTimeout(() => stop('timeout'), controls.timeoutMs) : null;
    // A fork bomb under a pids cgroup is stopped by the kernel at the limit, and would wait there
    // until its timeout: pinned for two checks in a row, the run is ended (PID 1 counts itself
    // where there is no such cgroup, but it cannot see what the command hides from it).
    let pinnedChecks = 0;
    const cgroup = prepared.cgroup;
    const watchdog = cgroup?.pids && sandbox.pidNamespace
      ? setInterval(() => {
          pinnedChecks = cgroup.atProcessLimit() ? pinnedChecks + 1 : 0;
          if (pinnedChecks === 2) terminator.processLimitReached();
        }, PINNED_CHECK_MS)
      : null;
    const onAbort = (): void => stop('cancelled');
    controls.signal?.addEventListener('abort', onAbort, { once: true });
    const cleanup = (): void => {
      if (timer) clearTimeout(timer);
      if (watchdog) clearInterval(watchdog);
      terminator.dispose();
      controls.signal?.removeEventListener('abort', onAbort);
    };

    proc.stdout.on('data', (chunk: Buffer) => {
      output.stdout.push(chunk);
      controls.onOutput?.('stdout', chunk);
    });
    proc.stderr.on('data', (chunk: Buffer) => {
      output.stderr.push(chunk);
      controls.onOutput?.('stderr', chunk);
    });
    proc.on('error', (err) => {
      cleanup();
      reject(new SandboxBackendError(backend, `cannot start the ${backend} sandbox: ${err.message}`, { cause: err }));
    });
    proc.on('close', (code, signal) => {
      cleanup();
      resolve({ code, signal, stopReason });
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
    sandbox.start(spec, adopt);
  }));
}

/** Ends a sandbox whose run failed on our side, and waits (boundedly) for its process to go. */
export async function killSandbox(sandbox: PreparedSandbox['process']): Promise<void> {
  // A spawn that failed (no pipes, no descriptors) has no pid, and Node's kill() would then send
  // the signal to pid 0: the worker's whole process group.
  if (!sandbox.alive || !sandbox.proc.pid) return;
  const gone = new Promise<void>((resolve) => sandbox.proc.once('exit', () => resolve()));
  sandbox.proc.kill('SIGKILL');
  await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, OUTPUT_AFTER_EXIT_MS))]);
}
