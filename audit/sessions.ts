// The sessions of a workflow, read from its history (docs/temporal.md, "Audit"): where each was
// opened, how many runs it had, which files went in and out, and whether it was closed. The runs
// themselves are in the report's runs, each with its session's id.
import { RUN_ACTIVITY, type SandboxRunRequest } from '../common/request';
import {
  CLOSE_SESSION_ACTIVITY, GET_FILE_ACTIVITY, OPEN_SESSION_ACTIVITY, PUT_FILE_ACTIVITY,
  type OpenedSandboxSession, type SessionCloseRequest, type SessionFileRequest,
} from '../common/session';
import { decodePayload, payloadSize, type HistoryLike } from './history';

/** One putFile or getFile: `bytes` is the file's size once the call completed; `ok` null while it runs. */
export type AuditFileCall = { op: 'put' | 'get'; path: string; bytes: number | null; ok: boolean | null; message: string | null };

export type AuditSession = {
  sessionId: string;
  worker: string;
  taskQueue: string;
  /** The open's activity id. */
  activityId: string;
  runs: number;
  files: AuditFileCall[];
  closed: boolean;
};

export function auditSessions(history: HistoryLike): AuditSession[] {
  const sessions = new Map<string, AuditSession>();
  /** What each scheduled event was: an open still waiting for its result, or a call of a session. */
  const scheduled = new Map<string, { open: string } | { call: string; sessionId: string; file?: AuditFileCall }>();
  const key = (id: unknown) => String(id);

  for (const event of history.events ?? []) {
    const s = event.activityTaskScheduledEventAttributes;
    if (s) {
      const name = s.activityType?.name;
      const input = s.input?.payloads?.[0];
      if (name === OPEN_SESSION_ACTIVITY) scheduled.set(key(event.eventId), { open: s.activityId ?? '?' });
      else if (name === RUN_ACTIVITY || name === CLOSE_SESSION_ACTIVITY) {
        const sessionId = decodePayload<SandboxRunRequest & SessionCloseRequest>(input)?.sessionId;
        if (!sessionId) continue; // a stateless run
        scheduled.set(key(event.eventId), { call: name, sessionId });
        const session = sessions.get(sessionId);
        if (session && name === RUN_ACTIVITY) session.runs++;
      } else if (name === PUT_FILE_ACTIVITY || name === GET_FILE_ACTIVITY) {
        const request = decodePayload<SessionFileRequest>(input);
        if (!request) continue;
        const op = name === PUT_FILE_ACTIVITY ? 'put' : 'get';
        const file: AuditFileCall = { op, path: request.path, bytes: null, ok: null, message: null };
        scheduled.set(key(event.eventId), { call: name, sessionId: request.sessionId, file });
        sessions.get(request.sessionId)?.files.push(file);
      }
      continue;
    }
    const done = event.activityTaskCompletedEventAttributes;
    if (done) {
      const entry = scheduled.get(key(done.scheduledEventId));
      if (!entry) continue;
      if ('open' in entry) {
        const opened = decodePayload<OpenedSandboxSession>(done.result?.payloads?.[0]);
        if (opened) {
          sessions.set(opened.sessionId, {
            sessionId: opened.sessionId, worker: opened.worker, taskQueue: opened.taskQueue, activityId: entry.open, runs: 0, files: [], closed: false,
          });
        }
      } else if (entry.file) {
        entry.file.ok = true;
        // A get returns the file itself; a put says how many bytes it wrote.
        const result = done.result?.payloads?.[0];
        entry.file.bytes = entry.file.op === 'get' ? payloadSize(result) : (decodePayload<{ bytes: number }>(result)?.bytes ?? null);
      } else if (entry.call === CLOSE_SESSION_ACTIVITY) {
        const session = sessions.get(entry.sessionId);
        if (session) session.closed = true;
      }
      continue;
    }
    const failed = event.activityTaskFailedEventAttributes ?? event.activityTaskTimedOutEventAttributes;
    if (failed) {
      const entry = scheduled.get(key(failed.scheduledEventId));
      if (entry && 'file' in entry && entry.file) {
        entry.file.ok = false;
        entry.file.message = failed.failure?.cause?.message ?? failed.failure?.message ?? null;
      }
    }
  }
  return [...sessions.values()];
}
