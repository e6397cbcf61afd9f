// What enforces each limit of a run, in the result's words (docs/security-model.md, "Limits").
import type { Limits } from '../policy/limits';
import type { AppliedLimits } from '../types';

export type LimitMeans = {
  /** A cgroup of the run's own, and what it limits. */
  cgroup: { pids: boolean; memory: boolean } | null;
  /** Why there is no memory cgroup, for the memory limit's note. */
  cgroupWhy: string | null;
  /** The command's host uid is 0: the kernel does not apply RLIMIT_NPROC to it. */
  hostRoot: boolean;
  /** A fresh view with its own /tmp (false for backend none). */
  contained: boolean;
  /** Why openFiles is lower than asked (the host's file table; contain/file-table.ts). */
  openFiles?: string;
};

export function appliedLimits(limits: Limits, m: LimitMeans): AppliedLimits {
  const processes = m.cgroup?.pids
    ? { value: limits.processes, by: 'cgroup' as const }
    : m.hostRoot
      ? m.contained
        ? { value: limits.processes, by: 'supervisor' as const, note: 'the kernel does not apply RLIMIT_NPROC to host uid 0: PID 1 ends the run when it reaches the limit' }
        : { value: limits.processes, by: 'none' as const, note: 'host uid 0 with backend none: nothing counts processes' }
      : { value: limits.processes, by: 'rlimit' as const };
  return {
    processes,
    memoryBytes: m.cgroup?.memory
      ? { value: limits.memoryBytes, by: 'cgroup' }
      : { value: limits.memoryBytes, by: 'rlimit', note: `RLIMIT_DATA: each process's heap and private memory is capped at this, not the run's total (${m.cgroupWhy ?? 'no memory cgroup'})` },
    fileSizeBytes: { value: limits.fileSizeBytes, by: 'rlimit' },
    openFiles: m.openFiles ? { value: limits.openFiles, by: 'rlimit', note: m.openFiles } : { value: limits.openFiles, by: 'rlimit' },
    cpuSeconds: { value: limits.cpuSeconds, by: 'rlimit' },
    tmpBytes: m.contained
      ? { value: limits.tmpBytes, by: 'tmpfs' }
      : { value: limits.tmpBytes, by: 'none', note: 'backend none: the command uses the host /tmp' },
  };
}
