// Warm sandboxes: a run's namespaces and view (bwrap or unshare, sandbox-init, the in-namespace
// listening sockets, a fresh work dir and host user where the template asks for them) are made
// before the run is asked for, so that a run pays only for handing over its command. Each warm
// sandbox still serves exactly one run: nothing is reused or shared.
import type { IdAllocator } from '../contain/identity';
import { prepareSandbox, templateKey, type PreparedSandbox, type SandboxTemplate } from './prepare';

export class WarmPool {
  private readonly idle = new Map<string, PreparedSandbox[]>();
  /** The work dir each key's sandboxes hold, for a key of a given (session) work dir. */
  private readonly workdirOf = new Map<string, string>();
  /** Work dirs whose session is over: a refill queued by its last run must not warm them again. */
  private readonly gone = new Set<string>();
  private closed = false;

  /** `size`: warm sandboxes kept per template. */
  constructor(
    private readonly size = 1,
    private readonly ids?: IdAllocator,
  ) {}

  /**
   * A warm sandbox of this template if one is alive. Its replacement is prepared when the run is
   * over (refill): spawning blocks the event loop for a moment, which must not land in a run.
   */
  take(template: SandboxTemplate): PreparedSandbox | null {
    if (this.closed || template.backend === 'none') return null;
    const key = templateKey(template);
    const list = this.idle.get(key) ?? [];
    let found: PreparedSandbox | null = null;
    while (!found && list.length > 0) {
      const candidate = list.shift()!;
      if (candidate.process.alive) found = candidate;
      else discard(candidate);
    }
    this.idle.set(key, list);
    if (found) found.process.setIdle(false);
    else this.refill(template); // none was ready: the next run of this template should find one
    return found;
  }

  /** Prepares a replacement once the current callbacks (a run handing back its result) are done. */
  refill(template: SandboxTemplate): void {
    if (!this.closed && template.backend !== 'none') setImmediate(() => this.fill(template));
  }

  /** Prepares sandboxes of this template up to the pool's size. */
  fill(template: SandboxTemplate): void {
    if (this.closed || template.backend === 'none') return;
    const key = templateKey(template);
    if (template.workdir !== 'fresh') {
      if (this.gone.has(template.workdir.host)) return;
      // A session's work dir is kept warm for its latest template only: one idle sandbox per
      // session, whichever posture its runs switch between.
      this.discardWorkdir(template.workdir.host, key);
      this.workdirOf.set(key, template.workdir.host);
    }
    const list = this.idle.get(key) ?? [];
    while (list.length < this.size) {
      let warm: PreparedSandbox;
      try {
        warm = prepareSandbox(template, this.ids);
      } catch {
        break; // a cold start will meet the same problem and report it
      }
      warm.process.setIdle(true);
      warm.process.proc.once('exit', () => {
        const at = list.indexOf(warm);
        if (at !== -1) {
          list.splice(at, 1);
          warm.release();
        }
      });
      list.push(warm);
    }
    this.idle.set(key, list);
  }

  /** Resolves when every idle warm sandbox has finished setting up (the benchmark waits on it). */
  async settled(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    const pending = [...this.idle.values()].flat().filter((w) => !w.process.ready);
    // Idle sandboxes do not hold the event loop open; while we wait on them, they must.
    for (const w of pending) w.process.setIdle(false);
    await Promise.all(pending.map((w) => w.process.whenReady()));
    for (const w of pending) if ([...this.idle.values()].some((list) => list.includes(w))) w.process.setIdle(true);
  }

  /** Ends the idle sandboxes that hold this work dir (a session closing), except those of `keep`. */
  discardWorkdir(host: string, keep?: string): void {
    if (keep === undefined) {
      this.gone.add(host);
      if (this.gone.size > 10_000) this.gone.delete(this.gone.values().next().value!);
    }
    for (const [key, dir] of this.workdirOf) {
      if (dir !== host || key === keep) continue;
      for (const warm of this.idle.get(key)?.splice(0) ?? []) discard(warm);
      this.idle.delete(key);
      this.workdirOf.delete(key);
    }
  }

  /** Ends every idle warm sandbox; later takes start cold. */
  close(): void {
    this.closed = true;
    for (const list of this.idle.values()) for (const warm of list.splice(0)) discard(warm);
  }
}

/** Ends an unused sandbox and frees what it held once its processes are gone. */
function discard(warm: PreparedSandbox): void {
  const { proc } = warm.process;
  if (proc.exitCode !== null || proc.signalCode !== null) warm.release();
  else proc.once('exit', () => warm.release());
  warm.process.discard();
}
