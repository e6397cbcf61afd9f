// Shared by the session tests: a real SessionStore on a real runner, where a session's work dir is
// on the host, and a shell run inside a session.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createSandboxRunner, type SandboxRunner, type SandboxRunnerOptions } from '../../sandbox';
import { lifeDir } from '../../sandbox/contain/work-root';
import { SessionStore } from '../../sandbox/session/store';
import type { RunResult } from '../../sandbox/types';

export type Held = { runner: SandboxRunner; store: SessionStore; close(): Promise<void> };

/** A store on a runner of its own (cold runs unless `warm` is given). */
export function makeStore(o: SandboxRunnerOptions & { maxSessions?: number } = {}): Held {
  const { maxSessions, ...runnerOptions } = o;
  const runner = createSandboxRunner({ warm: 0, ...runnerOptions });
  const store = new SessionStore(runner, { maxSessions });
  return {
    runner,
    store,
    async close() {
      await store.closeAll();
      runner.close();
    },
  };
}

/** A session's work dir as the host sees it (sandbox/contain/work-root.ts). */
export function sessionDir(sessionId: string): string {
  return path.join(lifeDir(), `session-${sessionId}`);
}

/** The session dirs of this process's life dir. */
export function sessionDirs(): string[] {
  return readdirSync(lifeDir()).filter((n) => n.startsWith('session-'));
}

/** `sh -c script` in the session; fails the test unless it exits 0. */
export async function sh(store: SessionStore, sessionId: string, script: string): Promise<RunResult> {
  const result = await store.run(sessionId, { command: ['sh', '-c', script] });
  if (result.exitCode !== 0) throw new Error(`'${script}' exited ${result.exitCode} (${result.termination}): ${result.stderr}`);
  return result;
}

export function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** The error `fn` throws (it must throw one). */
export function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error, got none');
}
