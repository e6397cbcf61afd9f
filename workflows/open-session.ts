// openSandboxSession() and withSandboxSession(): sessions that keep a work dir on one worker
// across their runs (docs/temporal.md, "Sessions"). The open is an activity on the shared task
// queue; it returns the queue of the worker that took it, and every later call of the session is
// scheduled there, with a schedule-to-start timeout: a call that no worker takes within
// sessionLostTimeout means that worker is gone, and fails as SandboxSessionLost.
import {
  ActivityFailure, ApplicationFailure, CancellationScope, proxyActivities, TimeoutFailure, type ActivityOptions,
} from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { FailureType, sandboxFailureOf, type SessionLostDetails } from '../common/failures';
import { RUN_ACTIVITY, type RunCallOptions, type SandboxCeiling, type SandboxRunRequest } from '../common/request';
import {
  CLOSE_SESSION_ACTIVITY, GET_FILE_ACTIVITY, OPEN_SESSION_ACTIVITY, PUT_FILE_ACTIVITY,
  type OpenedSandboxSession, type OpenSessionRequest, type SessionCloseRequest, type SessionFileRequest,
} from '../common/session';
import { SandboxInputError } from '../sandbox/errors';
import { compilePolicy } from '../sandbox/policy/compile';
import { checkFileMode, checkFileSize, checkMaxBytes, checkSessionPath, checkSessionTimeoutSeconds, utf8Length } from '../sandbox/session/rules';
import type { RunResult } from '../sandbox/types';
import { callActivityOptions, fileActivityOptions, openActivityOptions } from './activity-options';
import { checked } from './checked';
import { buildRequest } from './request';
import { splitSessionOptions, type SandboxSessionOptions } from './session';

export type OpenSandboxSessionOptions = SandboxSessionOptions & {
  /** How long the worker keeps the session if it is never closed: default 1 hour, at most 24 hours. */
  sessionTimeout?: Duration;
  /** How long a call waits for the session's worker before failing as SandboxSessionLost: default 1 minute. */
  sessionLostTimeout?: Duration;
};

export interface OpenSandboxSession {
  readonly sessionId: string;
  /** The work dir as the session's runs see it: /workspace. */
  readonly workdir: string;
  /** The worker-specific task queue every call of the session goes to. */
  readonly taskQueue: string;
  /** The identity of the worker that holds the session. */
  readonly worker: string;
  /** When the worker ends the session if it is still open (ISO 8601). */
  readonly expiresAt: string;
  /** One contained run in the session's work dir; narrowing as for sandboxSession().run(). */
  run(command: string | readonly string[], perCall?: RunCallOptions): Promise<RunResult>;
  /** Writes a file (a string is UTF-8) into the work dir, atomically; missing directories are made. */
  putFile(path: string, data: string | Uint8Array, options?: { mode?: number }): Promise<void>;
  /** Reads a regular file of the work dir: at most maxBytes (default 1 MiB), never through a link. */
  getFile(path: string, options?: { maxBytes?: number }): Promise<Uint8Array>;
  /** Ends the session and removes its work dir. Safe to call twice, and on a lost session. */
  close(): Promise<void>;
}

type SessionActivities = {
  [OPEN_SESSION_ACTIVITY]: (request: OpenSessionRequest) => Promise<OpenedSandboxSession>;
  [RUN_ACTIVITY]: (request: SandboxRunRequest) => Promise<RunResult>;
  [PUT_FILE_ACTIVITY]: (request: SessionFileRequest, data: Uint8Array | string) => Promise<{ bytes: number }>;
  [GET_FILE_ACTIVITY]: (request: SessionFileRequest) => Promise<Uint8Array>;
  [CLOSE_SESSION_ACTIVITY]: (request: SessionCloseRequest) => Promise<{ closed: boolean }>;
};

const DEFAULT_SESSION_LOST_TIMEOUT = '1 minute';

/** Opens a session on one worker of the task queue and returns it. Close it (or use withSandboxSession). */
export async function openSandboxSession(options: OpenSandboxSessionOptions = {}): Promise<OpenSandboxSession> {
  const { sessionTimeout, sessionLostTimeout, ...rest } = options;
  const { ceiling, failOnDenied, activity } = splitSessionOptions(rest);
  checked(() => compilePolicy(ceiling));
  const timeoutSeconds = checked(() => checkSessionTimeoutSeconds(sessionTimeout === undefined ? undefined : msToNumber(sessionTimeout) / 1000));
  const lostMs = msToNumber(sessionLostTimeout ?? DEFAULT_SESSION_LOST_TIMEOUT);
  const open = proxyActivities<SessionActivities>(openActivityOptions(activity));
  const opened = await open[OPEN_SESSION_ACTIVITY]({ session: { ...ceiling }, timeoutSeconds });
  return new Session(opened, ceiling, failOnDenied, { ...activity, taskQueue: opened.taskQueue, scheduleToStartTimeout: lostMs });
}

/**
 * Opens a session, runs `fn` with it, and closes it whatever happens: success, failure or
 * cancellation (like Python's `async with`). With `reopenOnLost: N`, a session lost with its
 * worker is opened again and `fn` run again from the start, up to N times: write `fn` so that
 * it repeats its own set-up (the install, the files put in).
 */
export async function withSandboxSession<T>(
  options: OpenSandboxSessionOptions & { reopenOnLost?: number },
  fn: (session: OpenSandboxSession) => Promise<T>,
): Promise<T> {
  const { reopenOnLost = 0, ...open } = options;
  for (let attempt = 0; ; attempt++) {
    const session = await openSandboxSession(open);
    try {
      return await fn(session);
    } catch (err) {
      if (attempt < reopenOnLost && sandboxFailureOf(err)?.type === FailureType.sessionLost) continue;
      throw err;
    } finally {
      await CancellationScope.nonCancellable(() => session.close());
    }
  }
}

class Session implements OpenSandboxSession {
  readonly sessionId: string;
  readonly workdir: string;
  readonly taskQueue: string;
  readonly worker: string;
  readonly expiresAt: string;
  private lost: ApplicationFailure | null = null;
  private closed = false;

  constructor(
    opened: OpenedSandboxSession,
    private readonly ceiling: SandboxCeiling,
    private readonly failOnDenied: boolean | undefined,
    private readonly activity: ActivityOptions,
  ) {
    this.sessionId = opened.sessionId;
    this.workdir = opened.workdir;
    this.taskQueue = opened.taskQueue;
    this.worker = opened.worker;
    this.expiresAt = opened.expiresAt;
  }

  run(command: string | readonly string[], perCall: RunCallOptions = {}): Promise<RunResult> {
    const request = checked(() => buildRequest(this.ceiling, command, perCall, { failOnDenied: this.failOnDenied }));
    return this.call(callActivityOptions(this.activity, perCall), (a) => a[RUN_ACTIVITY]({ ...request, sessionId: this.sessionId }));
  }

  async putFile(path: string, data: string | Uint8Array, options: { mode?: number } = {}): Promise<void> {
    checked(() => {
      checkSessionPath(path);
      checkFileMode(options.mode);
      if (typeof data !== 'string' && !(data instanceof Uint8Array)) throw new SandboxInputError('putFile data must be a string or a Uint8Array');
      checkFileSize(typeof data === 'string' ? utf8Length(data) : data.length, path);
    });
    const request: SessionFileRequest = { sessionId: this.sessionId, path, ...(options.mode === undefined ? {} : { mode: options.mode }) };
    await this.call(fileActivityOptions(this.activity), (a) => a[PUT_FILE_ACTIVITY](request, data));
  }

  getFile(path: string, options: { maxBytes?: number } = {}): Promise<Uint8Array> {
    const maxBytes = checked(() => {
      checkSessionPath(path);
      return checkMaxBytes(options.maxBytes);
    });
    return this.call(fileActivityOptions(this.activity), (a) => a[GET_FILE_ACTIVITY]({ sessionId: this.sessionId, path, maxBytes }));
  }

  async close(): Promise<void> {
    if (this.closed || this.lost) return;
    this.closed = true;
    try {
      await this.call(fileActivityOptions(this.activity), (a) => a[CLOSE_SESSION_ACTIVITY]({ sessionId: this.sessionId }), true);
    } catch (err) {
      // Its worker is gone: there is nothing to close here, and that worker's next start removes
      // what it left.
      if (sandboxFailureOf(err)?.type !== FailureType.sessionLost) throw err;
    }
  }

  /** One activity on the session's queue; a call no worker takes in time is the session lost. */
  private async call<T>(options: ActivityOptions, fn: (a: SessionActivities) => Promise<T>, closing = false): Promise<T> {
    if (this.lost) throw this.lost;
    if (this.closed && !closing) {
      throw checked(() => {
        throw new SandboxInputError(`session ${this.sessionId} is closed: open a new one`);
      });
    }
    try {
      return await fn(proxyActivities<SessionActivities>(options));
    } catch (err) {
      if (err instanceof ActivityFailure && err.cause instanceof TimeoutFailure && err.cause.timeoutType === 'SCHEDULE_TO_START') {
        const details: SessionLostDetails = { sessionId: this.sessionId, taskQueue: this.taskQueue };
        this.lost = ApplicationFailure.create({
          type: FailureType.sessionLost,
          nonRetryable: true,
          message:
            `session ${this.sessionId} is lost: no worker took its call on ${this.taskQueue} within sessionLostTimeout, so the worker ` +
            `that held it (${this.worker}) is gone. Open a new session and repeat its set-up (withSandboxSession's reopenOnLost does this)`,
          details: [details],
        });
        throw this.lost;
      }
      throw err;
    }
  }
}
