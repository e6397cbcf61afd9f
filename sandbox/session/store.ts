// The sessions one worker holds (docs/temporal.md, "Sessions"): each a work dir that outlives
// its runs, a host user of its own, the ceiling it was opened with, and a deadline. Every run of a
// session is an ordinary contained run with that work dir at /workspace; files go in and out
// through sandbox/session/files.ts. Temporal-free: the activities put a task queue in front of it.
import { randomBytes } from 'node:crypto';
import type { HostIdentity } from '../contain/identity';
import { canSwitchIdentity } from '../contain/identity';
import { makeFreshWorkdir, type FreshWorkdir } from '../contain/workdir';
import { lifeDir } from '../contain/work-root';
import { SandboxSessionLost, SandboxSessionsFull } from '../errors';
import type { SessionCeiling } from '../policy';
import { printable } from '../vocabulary';
import type { RunOptions } from '../run/options';
import type { SandboxRunner } from '../run/runner';
import type { RunResult } from '../types';
import { CEILING_FIELDS, pickCeiling } from '../vocabulary';
import { readSessionFile, writeSessionFile } from './files';
import { checkFileMode, checkFileSize, checkMaxBytes, checkSessionPath, checkSessionTimeoutSeconds, DEFAULT_MAX_SESSIONS } from './rules';
import { WORKDIR_INSIDE } from '../vocabulary';

export type OpenedSession = {
  sessionId: string;
  /** The work dir as the session's runs see it. */
  workdir: string;
  /** When the worker ends the session if it is still open (ISO 8601). */
  expiresAt: string;
};

/** What a session's run may set: everything of a run but its work dir, host user and ceiling. */
export type SessionRunOptions = Omit<RunOptions, 'workdir' | 'workdirInside' | 'runAs' | keyof SessionCeiling>;

type Held = {
  id: string;
  ceiling: SessionCeiling;
  workdir: FreshWorkdir;
  identity: HostIdentity | 'caller';
  releaseIdentity(): void;
  timeoutSeconds: number;
  timer: NodeJS.Timeout;
  /** Aborting one ends that run; the session's end aborts all. */
  runs: Set<AbortController>;
  running: Set<Promise<unknown>>;
};

/** How many ended sessions are remembered, to say why a late call finds its session gone. */
const REMEMBERED = 1000;

export class SessionStore {
  private readonly held = new Map<string, Held>();
  private readonly ended = new Map<string, string>();
  private readonly maxSessions: number;

  constructor(
    private readonly runner: SandboxRunner,
    options: { maxSessions?: number } = {},
  ) {
    this.maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
    // A worker that starts removes (in the background) what dead workers left, their sessions' work dirs included.
    lifeDir();
  }

  get size(): number {
    return this.held.size;
  }

  /** Opens a session: checks its ceiling under the worker's, makes its work dir, starts its clock. */
  open(ceiling: SessionCeiling, options: { timeoutSeconds?: number } = {}): OpenedSession {
    const timeoutSeconds = checkSessionTimeoutSeconds(options.timeoutSeconds);
    const own = pickCeiling(ceiling) as SessionCeiling;
    this.runner.checkCeiling(own);
    if (this.held.size >= this.maxSessions) {
      throw new SandboxSessionsFull(`this worker holds ${this.maxSessions} open sessions (its maxSessions): open again later, or on another worker`);
    }
    const id = randomBytes(8).toString('hex');
    const lease = this.runner.leaseIdentity();
    let workdir: FreshWorkdir;
    try {
      const owner = lease.identity === 'caller' ? { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 } : lease.identity;
      workdir = makeFreshWorkdir(owner, lease.identity !== 'caller' && canSwitchIdentity(), { session: id });
    } catch (err) {
      lease.release();
      throw err;
    }
    const timer = setTimeout(() => void this.end(id, `ended when its sessionTimeout of ${timeoutSeconds} s passed`), timeoutSeconds * 1000);
    timer.unref();
    this.held.set(id, {
      id, ceiling: own, workdir, identity: lease.identity, releaseIdentity: lease.release, timeoutSeconds, timer, runs: new Set(), running: new Set(),
    });
    return { sessionId: id, workdir: WORKDIR_INSIDE, expiresAt: new Date(Date.now() + timeoutSeconds * 1000).toISOString() };
  }

  /** One contained run in the session's work dir, under the session's ceiling and host user. */
  async run(id: string, options: SessionRunOptions): Promise<RunResult> {
    const s = this.get(id);
    const abort = new AbortController();
    const onAbort = () => abort.abort();
    if (options.signal?.aborted) abort.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    s.runs.add(abort);
    // The session's ceiling only: a ceiling field in a run's options (a payload may carry one the
    // session left unset) must not reach the run.
    const own: Record<string, unknown> = { ...options };
    for (const field of CEILING_FIELDS) delete own[field];
    const running = this.runner.run({
      ...(own as SessionRunOptions),
      ...s.ceiling,
      workdir: s.workdir.path,
      workdirInside: WORKDIR_INSIDE,
      runAs: s.identity,
      signal: abort.signal,
    });
    s.running.add(running);
    try {
      return await running;
    } finally {
      s.running.delete(running);
      s.runs.delete(abort);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Writes a file into the session's work dir (atomically, never through a link). */
  putFile(id: string, path: string, data: Uint8Array, options: { mode?: number } = {}): { bytes: number } {
    const s = this.get(id);
    const names = checkSessionPath(path);
    checkFileSize(data.length, path);
    const mode = checkFileMode(options.mode);
    const owner = s.identity === 'caller' ? null : s.identity;
    writeSessionFile(s.workdir.path, names, data, mode, owner, printable(path));
    return { bytes: data.length };
  }

  /** Reads a regular file of the session's work dir, at most maxBytes (default 1 MiB). */
  getFile(id: string, path: string, options: { maxBytes?: number } = {}): Buffer {
    const s = this.get(id);
    const names = checkSessionPath(path);
    return readSessionFile(s.workdir.path, names, checkMaxBytes(options.maxBytes), printable(path));
  }

  /** Closes a session: ends its runs, removes its work dir. False when it was not open. */
  close(id: string): Promise<boolean> {
    return this.end(id, 'was closed');
  }

  /** Closes every session (the worker is stopping). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.held.keys()].map((id) => this.end(id, 'ended when its worker stopped')));
  }

  private get(id: string): Held {
    const s = typeof id === 'string' ? this.held.get(id) : undefined;
    if (s) return s;
    const shown = printable(String(id));
    const why = this.ended.get(id);
    throw new SandboxSessionLost(
      shown,
      why
        ? `session ${shown} ${why}: open a new session and repeat its set-up`
        : `session ${shown} is not held by this worker (an earlier life of the worker held it, or another worker): open a new session and repeat its set-up`,
    );
  }

  private async end(id: string, why: string): Promise<boolean> {
    const s = this.held.get(id);
    if (!s) return false;
    this.held.delete(id);
    this.ended.set(id, why);
    if (this.ended.size > REMEMBERED) this.ended.delete(this.ended.keys().next().value!);
    clearTimeout(s.timer);
    for (const run of s.runs) run.abort();
    await Promise.allSettled([...s.running]);
    this.runner.forgetWorkdir(s.workdir.path);
    s.workdir.remove();
    s.releaseIdentity();
    return true;
  }
}
