// For a process that runs many commands (a Temporal worker): runs with warm sandboxes.
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
 * run's proxies (a run's own proxyLimits still override them).
 */
export function createSandboxRunner(options: { warm?: number; proxyLimits?: Partial<ProxyLimits> } = {}): SandboxRunner {
  const warm = options.warm ?? 1;
  const pool = warm > 0 ? new WarmPool(warm) : undefined;
  return {
    run: (runOptions) =>
      runSandboxed({
        ...runOptions,
        pool: runOptions.pool ?? pool,
        proxyLimits: { ...options.proxyLimits, ...runOptions.proxyLimits },
      }),
    settled: () => pool?.settled() ?? Promise.resolve(),
    close: () => pool?.close(),
  };
}
