// Ends a run's whole process tree: SIGTERM to every process of the run, SIGKILL after a grace.
import { readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';

export const DEFAULT_KILL_GRACE_MS = 10_000;

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .split(' ')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/**
 * The helper inside the run forwards SIGTERM to every process of the run (as PID 1 of the PID
 * namespace, or to the command's process group with backend none). After the grace, SIGKILL:
 * the namespace's PID 1 dies and the kernel kills everything left in the namespace.
 */
export class Terminator {
  private timer: NodeJS.Timeout | null = null;
  started = false;

  constructor(
    private readonly proc: ChildProcess,
    private readonly pidNamespace: boolean,
    private readonly graceMs: number,
  ) {}

  /** The helper's host PID: a child of bwrap/unshare, or the spawned process itself. */
  private supervisors(): number[] {
    const pid = this.proc.pid;
    if (pid === undefined) return [];
    return this.pidNamespace ? childrenOf(pid) : [pid];
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    for (const pid of this.supervisors()) signal(pid, 'SIGTERM');
    this.timer = setTimeout(() => this.kill(), this.graceMs);
    this.timer.unref();
  }

  /**
   * SIGKILL to the run's PID 1 only: the kernel then kills everything in its namespace, and bwrap
   * or unshare (its parent) reaps it and exits, to be reaped by us. Killing the parent as well
   * would leave PID 1 a zombie of the host's init, which in an init-less container is never
   * reaped. The parent is killed only if it is still there a while later.
   */
  kill(): void {
    const pid = this.proc.pid;
    if (pid === undefined || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const supervisors = this.supervisors();
    for (const sup of supervisors) {
      if (!this.pidNamespace) for (const cmd of childrenOf(sup)) signal(-cmd, 'SIGKILL');
      signal(sup, 'SIGKILL');
    }
    if (!this.pidNamespace) return;
    const last = setTimeout(() => {
      if (this.proc.exitCode === null && this.proc.signalCode === null) signal(pid, 'SIGKILL');
    }, supervisors.length > 0 ? 2000 : 0);
    last.unref();
  }

  /**
   * The run's pids cgroup is pinned at its limit: PID 1 ends the run as it does when it counts
   * that itself (SIGUSR1, native/supervise.c), and reports the limit.
   */
  processLimitReached(): void {
    for (const pid of this.supervisors()) signal(pid, 'SIGUSR1');
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
