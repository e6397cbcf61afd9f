// Warm sandboxes: a run's namespaces (bwrap or unshare, sandbox-init, the in-namespace listening
// sockets) are started before the run is asked for, so that a run pays only for handing over
// its command. Each warm sandbox still serves exactly one run: nothing is reused or shared.
import { SandboxProcess, shapeKey, type SandboxShape } from './sandbox-process';

export class WarmPool {
  private readonly idle = new Map<string, SandboxProcess[]>();
  private closed = false;

  /** `size`: warm sandboxes kept per shape (backend, posture's namespace, listeners). */
  constructor(private readonly size = 1) {}

  /** A warm sandbox of this shape if one is alive; a replacement starts in the background. */
  take(shape: SandboxShape): SandboxProcess | null {
    if (this.closed || shape.backend === 'none') return null;
    const key = shapeKey(shape);
    const list = this.idle.get(key) ?? [];
    let found: SandboxProcess | null = null;
    while (!found && list.length > 0) {
      const candidate = list.shift()!;
      if (candidate.alive) found = candidate;
      else candidate.kill();
    }
    this.idle.set(key, list);
    setImmediate(() => this.fill(shape));
    if (found) found.setIdle(false);
    return found;
  }

  /** Starts warm sandboxes of this shape up to the pool's size. */
  fill(shape: SandboxShape): void {
    if (this.closed || shape.backend === 'none') return;
    const key = shapeKey(shape);
    const list = this.idle.get(key) ?? [];
    while (list.length < this.size) {
      const warm = new SandboxProcess(shape);
      warm.setIdle(true);
      warm.proc.once('exit', () => {
        const at = list.indexOf(warm);
        if (at !== -1) list.splice(at, 1);
      });
      list.push(warm);
    }
    this.idle.set(key, list);
  }

  /** Resolves when every idle warm sandbox has finished setting up (the benchmark waits on it). */
  async settled(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    const pending = [...this.idle.values()].flat().filter((w) => !w.ready);
    // Idle sandboxes do not hold the event loop open; while we wait on them, they must.
    for (const w of pending) w.setIdle(false);
    await Promise.all(pending.map((w) => w.whenReady()));
    for (const w of pending) if ([...this.idle.values()].some((list) => list.includes(w))) w.setIdle(true);
  }

  /** Ends every idle warm sandbox; later takes start cold. */
  close(): void {
    this.closed = true;
    for (const list of this.idle.values()) for (const warm of list.splice(0)) warm.kill();
  }
}
