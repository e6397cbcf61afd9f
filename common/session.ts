// The session part of the Temporal contract (docs/temporal.md, "Sessions"): the activities a
// session is made of, what each takes and returns. Pure: the workflow bundle loads this file.
import type { OpenedSession } from '../sandbox/session/store';
import type { SandboxCeiling } from './request';

/** On the shared task queue: opens a session on whichever worker takes it. */
export const OPEN_SESSION_ACTIVITY = 'sandbox.openSession';
/** On the session's own queue, like every later call of the session (runs are `sandbox.run`). */
export const CLOSE_SESSION_ACTIVITY = 'sandbox.closeSession';
export const PUT_FILE_ACTIVITY = 'sandbox.putFile';
export const GET_FILE_ACTIVITY = 'sandbox.getFile';

export type OpenSessionRequest = {
  /** The session's ceiling: every run of the session stays under it. */
  session: SandboxCeiling;
  /** When the worker ends the session if it is still open; default 3600, at most 86400. */
  timeoutSeconds?: number;
};

/** What opening a session returns: where its later calls go. */
export type OpenedSandboxSession = OpenedSession & {
  /** The task queue of the worker that holds the session: only that worker polls it. */
  taskQueue: string;
  /** The identity of that worker, for the record. */
  worker: string;
};

export type SessionFileRequest = {
  sessionId: string;
  /** Relative to the work dir, or absolute beneath /workspace. */
  path: string;
  /** getFile: the most bytes to return (default 1 MiB). */
  maxBytes?: number;
  /** putFile: the file's permission bits (default 0o644). */
  mode?: number;
};

export type SessionCloseRequest = { sessionId: string };
