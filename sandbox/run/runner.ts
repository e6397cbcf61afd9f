// For a process that runs many commands (a Temporal worker): one runner holds what its runs share:
// the warm sandboxes, the range of host ids, and the worker's own settings, which no run may
// override (docs/mechanism.md, "Warm sandboxes").
import { canSwitchIdentity, defaultIds, IdAllocator, type HostIdentity, type IdRange } from '../contain/identity';
import {
  compilePolicy, compileWorkerCeiling, type CompiledWorkerCeiling, type SessionCeiling, type StaticAnswersInput, type WorkerCeiling,
} from '../policy';
import type { ProxyLimits } from '../proxy/context';
import type { RunResult } from '../types';
import type { RunOptions } from './options';
import { runWith } from './run';
import { WarmPool } from './warm-pool';
import { stopKernelRelayIfIdle } from '../relay/kernel-relay';

export type SandboxRunnerOptions = {
  /** Warm sandboxes kept per template; 0 starts every run cold. Default 1. */
  warm?: number;
  /** The operator's ceiling for every run; a run's own `worker` is ignored when this is set. */
  worker?: WorkerCeiling | CompiledWorkerCeiling;
  /** Limits of every run's proxies (a run's own proxyLimits, which only the worker sets, take precedence). */
  proxyLimits?: Partial<ProxyLimits>;
  /** Static answers for every run's proxies (a run's own are added to them). */
  resolveStatic?: StaticAnswersInput;
  /** Records kept per list (allowed, denied) in each result; default 1000. */
  maxRecords?: number;
  /** Under a root worker, where each run's unprivileged host uid and gid come from. */
  uidRange?: IdRange;
};

export class SandboxRunner {
  private readonly warm: number;
  private readonly worker: CompiledWorkerCeiling | undefined;
  private readonly ids: IdAllocator | undefined;
  private pool: WarmPool | null = null;

  constructor(private readonly options: SandboxRunnerOptions = {}) {
    this.warm = options.warm ?? 1;
    this.worker = options.worker === undefined ? undefined : compileWorkerCeiling(options.worker);
    this.ids = options.uidRange ? new IdAllocator(options.uidRange) : undefined;
  }

  run(options: RunOptions): Promise<RunResult> {
    if (this.warm > 0) this.pool ??= new WarmPool(this.warm, this.ids);
    const o = this.options;
    return runWith(
      {
        ...options,
        worker: this.worker ?? options.worker,
        proxyLimits: { ...o.proxyLimits, ...options.proxyLimits },
        resolveStatic: mergeAnswers(o.resolveStatic, options.resolveStatic),
        maxRecords: options.maxRecords ?? o.maxRecords,
      },
      { pool: this.pool ?? undefined, ids: this.ids },
    );
  }

  /**
   * A host user for a session's runs, kept until release: under root a uid and gid of the
   * range, else the caller's own (docs/security-model.md, "No privilege").
   */
  leaseIdentity(): { identity: HostIdentity | 'caller'; release(): void } {
    if (!canSwitchIdentity()) return { identity: 'caller', release: () => {} };
    const ids = this.ids ?? defaultIds;
    const identity = ids.take();
    return { identity, release: () => ids.release(identity) };
  }

  /** Throws SandboxPolicyError unless `ceiling` fits under the worker's (a session opening checks it first). */
  checkCeiling(ceiling: SessionCeiling): void {
    compilePolicy(ceiling, undefined, this.worker);
  }

  /** Forgets the warm sandboxes that hold this work dir: its session is over. */
  forgetWorkdir(host: string): void {
    this.pool?.discardWorkdir(host);
  }

  /** Resolves once the warm sandboxes are set up (the benchmark waits on it). */
  settled(): Promise<void> {
    return this.pool?.settled() ?? Promise.resolve();
  }

  /** Ends the idle warm sandboxes; runs in flight finish normally; a later run starts a new pool. */
  close(): void {
    this.pool?.close();
    this.pool = null;
    stopKernelRelayIfIdle();
  }
}

export function createSandboxRunner(options: SandboxRunnerOptions = {}): SandboxRunner {
  return new SandboxRunner(options);
}

function mergeAnswers(a: StaticAnswersInput | undefined, b: StaticAnswersInput | undefined): StaticAnswersInput | undefined {
  if (!a || !b) return a ?? b;
  const entries = (x: StaticAnswersInput) => (x instanceof Map ? [...x.entries()] : Object.entries(x));
  return new Map([...entries(a), ...entries(b)].map(([k, v]) => [k, typeof v === 'string' ? [v] : [...v]]));
}
