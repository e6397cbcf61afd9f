// The session activities (docs/temporal.md, "Sessions"): open on the shared task queue, and
// close, putFile and getFile on the session's own queue (runs are `sandbox.run`, activities/run.ts).
// Each is a thin call into the core's SessionStore.
import { sandboxErrorToFailure } from '../common/failures';
import {
  CLOSE_SESSION_ACTIVITY, GET_FILE_ACTIVITY, OPEN_SESSION_ACTIVITY, PUT_FILE_ACTIVITY,
  type OpenedSandboxSession, type OpenSessionRequest, type SessionCloseRequest, type SessionFileRequest,
} from '../common/session';
import type { SessionStore } from '../sandbox/session/store';
import type { SessionQueue } from './session-queue';

/** A worker's sessions: the store that holds them and the queue their calls arrive on. */
export type SessionHost = { store: SessionStore; queue: SessionQueue };

/** Runs `fn`, turning the core's typed errors into Temporal failures of the same type. */
async function asFailures<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw sandboxErrorToFailure(err) ?? err;
  }
}

/** The one activity of the shared queue. */
export function openSessionActivity(host: SessionHost) {
  return {
    [OPEN_SESSION_ACTIVITY]: (request: OpenSessionRequest): Promise<OpenedSandboxSession> =>
      asFailures(async () => {
        // The queue polls before the session exists, so its first call finds a worker.
        const taskQueue = await host.queue.ensure();
        const opened = host.store.open(request.session, { timeoutSeconds: request.timeoutSeconds });
        return { ...opened, taskQueue, worker: host.queue.identity() };
      }),
  };
}

/** The activities of the session queue, besides `sandbox.run`. */
export function sessionFileActivities(store: SessionStore) {
  return {
    [PUT_FILE_ACTIVITY]: (request: SessionFileRequest, data: Uint8Array | string): Promise<{ bytes: number }> =>
      asFailures(() => store.putFile(request.sessionId, request.path, typeof data === 'string' ? Buffer.from(data, 'utf8') : data, { mode: request.mode })),
    [GET_FILE_ACTIVITY]: (request: SessionFileRequest): Promise<Uint8Array> =>
      asFailures(() => store.getFile(request.sessionId, request.path, { maxBytes: request.maxBytes })),
    [CLOSE_SESSION_ACTIVITY]: (request: SessionCloseRequest): Promise<{ closed: boolean }> =>
      asFailures(async () => ({ closed: await store.close(request.sessionId) })),
  };
}
