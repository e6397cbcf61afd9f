// What enforces each limit of a run, in the result's words (docs/security-model.md, "Limits").
import type { Limits } from '../policy/limits';
import type { AppliedLimits } from '../types';

export type LimitMeans = {
  /** A cgroup of the run's own, and whether it counts processes too. */
  cgroup: { pids: boolean } | null;
  /** Why there is no cgroup, for the memory limit's note. */
  cgroupWhy: string | null;
  /** The command's host uid is 0: the kernel does not apply RLIMIT_NPROC to it. */
  hostRoot: boolean;
  /** A fresh view with its own /tmp (false for backend none). */
  contained: boolean;
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
    memoryBytes: m.cgroup
      ? { value: limits.memoryBytes, by: 'cgroup' }
      : { value: limits.memoryBytes, by: 'none', note: `memory is not limited: ${m.cgroupWhy ?? 'no cgroup'}` },
    fileSizeBytes: { value: limits.fileSizeBytes, by: 'rlimit' },
    openFiles: { value: limits.openFiles, by: 'rlimit' },
    cpuSeconds: { value: limits.cpuSeconds, by: 'rlimit' },
    tmpBytes: m.contained
      ? { value: limits.tmpBytes, by: 'tmpfs' }
      : { value: limits.tmpBytes, by: 'none', note: 'backend none: the command uses the host /tmp' },
  };
}
