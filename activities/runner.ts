// The worker's sandbox runner: warm sandboxes (a run's namespaces started before it is asked
// for; each still serves exactly one run), created on the first run and closed when the worker
// stops, so a plugin shared by several workers never leaves idle sandboxes behind.
import type { IdRange } from '../sandbox/contain/identity';
import type { RunOptions } from '../sandbox/run/options';
import { createSandboxRunner, type SandboxRunner } from '../sandbox/run/runner';
import type { RunResult } from '../sandbox/types';

export class WorkerRunner {
  private runner: SandboxRunner | null = null;

  /** `warm`: warm sandboxes kept per shape; 0 starts every run cold. `uidRange`: see createSandboxRunner. */
  constructor(
    private readonly warm: number,
    private readonly uidRange?: IdRange,
  ) {}

  run(options: RunOptions): Promise<RunResult> {
    this.runner ??= createSandboxRunner({ warm: this.warm, uidRange: this.uidRange });
    return this.runner.run(options);
  }

  /** Ends the idle warm sandboxes; runs in flight finish normally; a later run starts a new pool. */
  close(): void {
    this.runner?.close();
    this.runner = null;
  }
}
