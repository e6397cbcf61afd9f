// For a process that runs many commands (a Temporal worker): runs with warm sandboxes.
import { IdAllocator, type IdRange } from '../contain/identity';
import type { ProxyLimits } from '../proxy/context';
import type { RunResult } from '../types';
import type { RunOptions } from './options';
import { runSandboxed } from './run';
import { WarmPool } from './warm-pool';

export type SandboxRunner = {
  run(options: RunOptions): Promise<RunResult>;
  /** Resolves once the warm sandboxes are set up. */
  settled(): Promise<void>;
  /** Ends the idle warm sandboxes. Runs in flight finish normally. */
  close(): void;
};

/**
 * `warm`: warm sandboxes kept per shape (0 = every run starts cold). Each serves one run only;
 * a replacement starts as soon as one is taken. `proxyLimits`: the worker's limits for every
 * run's proxies (a run's own proxyLimits still override them). `uidRange`: where a root worker
 * takes each run's unprivileged host uid and gid (docs/security-model.md, "No privilege").
 */
export function createSandboxRunner(
  options: { warm?: number; proxyLimits?: Partial<ProxyLimits>; uidRange?: IdRange } = {},
): SandboxRunner {
  const warm = options.warm ?? 1;
  const ids = options.uidRange ? new IdAllocator(options.uidRange) : undefined;
  const pool = warm > 0 ? new WarmPool(warm, ids) : undefined;
  return {
    run: (runOptions) =>
      runSandboxed({
        ...runOptions,
        pool: runOptions.pool ?? pool,
        ids: runOptions.ids ?? ids,
        proxyLimits: { ...options.proxyLimits, ...runOptions.proxyLimits },
      }),
    settled: () => pool?.settled() ?? Promise.resolve(),
    close: () => pool?.close(),
  };
}
