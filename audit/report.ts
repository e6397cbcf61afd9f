// What every sandboxed run of a workflow did, read from its history: each attempt that history
// still describes (the last one, and the failure of the one before it), its posture, its end, and
// every connection the sandbox refused (docs/temporal.md, "Audit").
import type { CommandFailureDetails } from '../common/failures';
import { RUN_ACTIVITY, type RunProgress, type SandboxRunRequest } from '../common/request';
import type { AllowedRecord, DeniedRecord, NetworkMode, RunResult } from '../sandbox/types';
import { auditSessions, type AuditSession } from './sessions';
import { decodePayload, historyWorkflowId, type FailureLike, type HistoryLike, type PendingActivity } from './history';

export type AuditOutcome = 'completed' | 'failed' | 'timed-out' | 'cancelled' | 'running';

/** One attempt of one sandboxed run that history still describes. */
export type AuditRun = {
  activityId: string;
  attempt: number;
  outcome: AuditOutcome;
  /** The failure type (SandboxCommandFailed, SandboxNetworkDenied, ...) when it failed. */
  failureType: string | null;
  message: string | null;
  command: string[];
  posture: NetworkMode;
  exitCode: number | null;
  signal: string | null;
  termination: string | null;
  durationMs: number | null;
  denied: DeniedRecord[];
  allowedCount: number;
  /** Where each allowed connection went (what `audit --suggest-allowlist` learns from). */
  allowed: AuditDestination[];
  /** The last heartbeat, where history kept one (an attempt that timed out). */
  progress: RunProgress | null;
  /** The session the run belonged to, or null for a stateless run. */
  session: string | null;
};

export type AuditDestination = Pick<AllowedRecord, 'proxy' | 'host' | 'port' | 'address'>;

export type AuditRefusal = DeniedRecord & { activityId: string; attempt: number };

export type AuditReport = { workflowId: string | null; runs: AuditRun[]; refused: AuditRefusal[]; sessions: AuditSession[] };

type Pending = {
  activityId: string;
  request: SandboxRunRequest | null;
  attempt: number;
  lastFailure: FailureLike;
  closed: AuditRun | null;
};

export function auditHistory(
  history: HistoryLike,
  workflowId: string | null = historyWorkflowId(history),
  pending: readonly PendingActivity[] = [],
): AuditReport {
  const byScheduled = new Map<string, Pending>();
  const order: Pending[] = [];
  const key = (id: unknown) => String(id);

  for (const event of history.events ?? []) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) {
      if (scheduled.activityType?.name !== RUN_ACTIVITY) continue;
      const p: Pending = {
        activityId: scheduled.activityId ?? '?',
        request: decodePayload<SandboxRunRequest>(scheduled.input?.payloads?.[0]),
        attempt: 1,
        lastFailure: null,
        closed: null,
      };
      byScheduled.set(key(event.eventId), p);
      order.push(p);
      continue;
    }
    const started = event.activityTaskStartedEventAttributes;
    if (started) {
      const p = byScheduled.get(key(started.scheduledEventId));
      if (p) {
        p.attempt = started.attempt ?? 1;
        p.lastFailure = started.lastFailure ?? null;
      }
      continue;
    }
    const completed = event.activityTaskCompletedEventAttributes;
    if (completed) {
      const p = byScheduled.get(key(completed.scheduledEventId));
      if (p) p.closed = fromResult(p, decodePayload<RunResult>(completed.result?.payloads?.[0]));
      continue;
    }
    const failed = event.activityTaskFailedEventAttributes;
    if (failed) {
      const p = byScheduled.get(key(failed.scheduledEventId));
      if (p) p.closed = fromFailure(p, p.attempt, 'failed', failed.failure ?? null);
      continue;
    }
    const timedOut = event.activityTaskTimedOutEventAttributes;
    if (timedOut) {
      const p = byScheduled.get(key(timedOut.scheduledEventId));
      if (p) p.closed = fromFailure(p, p.attempt, 'timed-out', timedOut.failure ?? null);
      continue;
    }
    const canceled = event.activityTaskCanceledEventAttributes;
    if (canceled) {
      const p = byScheduled.get(key(canceled.scheduledEventId));
      if (p) p.closed = { ...blankRun(p, p.attempt), outcome: 'cancelled', termination: 'cancelled', message: 'cancelled' };
    }
  }

  const runs: AuditRun[] = [];
  for (const p of order) {
    // Still running: history holds only its scheduling; the server's pending info has the rest.
    const live = p.closed ? undefined : pending.find((a) => a.activityId === p.activityId);
    if (live) {
      p.attempt = live.attempt;
      p.lastFailure = live.lastFailure ?? p.lastFailure;
    }
    // The attempt before the last one, as the server handed it to the last attempt.
    if (p.lastFailure && p.attempt > 1) runs.push(fromFailure(p, p.attempt - 1, 'failed', p.lastFailure));
    runs.push(p.closed ?? { ...blankRun(p, p.attempt), outcome: 'running', progress: decodePayload<RunProgress>(live?.heartbeat) });
  }
  const refused = runs.flatMap((r) => r.denied.map((d) => ({ activityId: r.activityId, attempt: r.attempt, ...d })));
  return { workflowId, runs, refused, sessions: auditSessions(history) };
}

function blankRun(p: Pending, attempt: number): AuditRun {
  const session = p.request?.session ?? {};
  return {
    activityId: p.activityId,
    attempt,
    outcome: 'running',
    failureType: null,
    message: null,
    command: p.request?.command ?? [],
    posture: p.request?.call?.networkMode ?? session.networkMode ?? 'blocked',
    exitCode: null,
    signal: null,
    termination: null,
    durationMs: null,
    denied: [],
    allowedCount: 0,
    allowed: [],
    progress: null,
    session: p.request?.sessionId ?? null,
  };
}

function fromResult(p: Pending, result: RunResult | null): AuditRun {
  const run = { ...blankRun(p, p.attempt), outcome: 'completed' as const };
  if (!result) return run;
  return {
    ...run,
    posture: result.policy?.mode ?? run.posture,
    exitCode: result.exitCode,
    signal: result.signal,
    termination: result.termination,
    durationMs: result.durationMs,
    denied: result.denied ?? [],
    allowedCount: result.allowed?.length ?? 0,
    allowed: destinations(result.allowed),
  };
}

function fromFailure(p: Pending, attempt: number, outcome: AuditOutcome, failure: FailureLike): AuditRun {
  const run: AuditRun = { ...blankRun(p, attempt), outcome };
  if (!failure) return run;
  // An activity failure may wrap the application failure (timeouts carry the last one as cause).
  const app = failure.applicationFailureInfo ? failure : failure.cause?.applicationFailureInfo ? failure.cause : null;
  run.message = failure.message ?? null;
  if (failure.timeoutFailureInfo) {
    run.failureType = `timeout (${timeoutName(failure.timeoutFailureInfo.timeoutType)})`;
    run.progress = decodePayload<RunProgress>(failure.timeoutFailureInfo.lastHeartbeatDetails?.payloads?.[0]);
  }
  if (app?.applicationFailureInfo) {
    run.failureType = app.applicationFailureInfo.type ?? 'Error';
    run.message = app.message ?? run.message;
    const details = decodePayload<Partial<CommandFailureDetails>>(app.applicationFailureInfo.details?.payloads?.[0]);
    if (details && typeof details === 'object' && 'termination' in details) {
      run.exitCode = details.exitCode ?? null;
      run.signal = details.signal ?? null;
      run.termination = details.termination ?? null;
      run.durationMs = details.durationMs ?? null;
      run.posture = details.policy?.mode ?? run.posture;
      run.denied = details.denied ?? [];
      run.allowedCount = details.allowed?.length ?? 0;
      run.allowed = destinations(details.allowed);
    }
  }
  return run;
}

function destinations(allowed: readonly AllowedRecord[] | undefined): AuditDestination[] {
  return (allowed ?? []).map((a) => ({ proxy: a.proxy, host: a.host, port: a.port, address: a.address }));
}

function timeoutName(type: unknown): string {
  const names: Record<number, string> = { 1: 'start-to-close', 2: 'schedule-to-start', 3: 'schedule-to-close', 4: 'heartbeat' };
  return typeof type === 'number' ? names[type] ?? String(type) : String(type ?? 'unknown').replace(/^TIMEOUT_TYPE_/, '').toLowerCase();
}
