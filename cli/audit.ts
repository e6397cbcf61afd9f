// `temporal-sandbox audit WORKFLOW_ID`: what every sandboxed run of a workflow did and what the
// proxies refused, read back from the workflow's history (from the server, or from a JSON export
// as written by `temporal workflow show --output json` or historyToJSON).
//
// Temporal keeps one outcome per activity, not one per attempt: the final attempt's result or
// failure, plus (on ActivityTaskStarted) the failure of the attempt before it. Both are shown;
// earlier attempts are not in history at all.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { historyFromJSON, type History, type Payload } from '@temporalio/common/lib/proto-utils';
import type { ConnectionRecord, NetworkMode, RunResult } from '../sandbox/types';
import { RUN_ACTIVITY, type RunProgress, type SandboxRunRequest } from '../common/request';
import type { CommandFailureDetails } from '../common/failures';

const EXIT_USAGE = 125;

export const AUDIT_USAGE = `usage: temporal-sandbox audit WORKFLOW_ID [--history FILE] [--json] [--address A] [--namespace N] [--run-id R]

Prints every sandboxed run of the workflow (activity, attempt, command, posture, exit, duration)
and every connection the sandbox refused (host, port, reason, rule), read from its history.

  --history FILE     read a JSON history export instead of asking the server
                     (temporal workflow show --workflow-id ID --output json > FILE)
  --json             print the report as JSON
  --address A        default $TEMPORAL_ADDRESS or localhost:7233
  --namespace N      default $TEMPORAL_NAMESPACE or default
  --run-id R         a specific run (default: the latest)

Exit status 0; 125 with a one-line message when the workflow or the file cannot be read.`;

type HistoryEvent = NonNullable<History['events']>[number];
type Failure = NonNullable<NonNullable<HistoryEvent['activityTaskFailedEventAttributes']>['failure']>;

/** What the server says of an activity still running (history has only its scheduling then). */
export type PendingActivity = { activityId: string; attempt: number; heartbeat: Payload | null; lastFailure: Failure | null };

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
  denied: ConnectionRecord[];
  allowedCount: number;
  /** The last heartbeat, where history kept one (an attempt that timed out). */
  progress: RunProgress | null;
};

export type AuditRefusal = ConnectionRecord & { activityId: string; attempt: number };

export type AuditReport = { workflowId: string | null; runs: AuditRun[]; refused: AuditRefusal[] };

/** Typed so the command can tell "cannot read it" (exit 125) from a bug. */
export class AuditInputError extends Error {}

// ----------------------------------------------------------------------------- reading history

export function readHistoryFile(file: string): History {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new AuditInputError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let json: any;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new AuditInputError(`${file} is not JSON: ${(err as Error).message}`);
  }
  const body = Array.isArray(json?.events) ? json : Array.isArray(json?.history?.events) ? json.history : null;
  if (!body) throw new AuditInputError(`${file} holds no workflow history (expected {"events": [...]})`);
  try {
    return historyFromJSON(body);
  } catch (err) {
    throw new AuditInputError(`${file} is not a workflow history: ${(err as Error).message}`);
  }
}

/** The history, and the pending activities of a workflow still running (their attempt, heartbeat and last failure). */
export async function fetchHistory(options: {
  workflowId: string;
  runId?: string;
  address: string;
  namespace: string;
}): Promise<{ history: History; pending: PendingActivity[] }> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: options.address, connectTimeout: '10 seconds' });
  } catch (err) {
    throw new AuditInputError(`cannot reach the Temporal server at ${options.address}: ${(err as Error).message}`);
  }
  try {
    const client = new Client({ connection, namespace: options.namespace });
    const handle = client.workflow.getHandle(options.workflowId, options.runId);
    const history = await handle.fetchHistory();
    const description = await handle.describe();
    const pending = (description.raw.pendingActivities ?? []).map((a) => ({
      activityId: a.activityId ?? '',
      attempt: a.attempt ?? 1,
      heartbeat: a.heartbeatDetails?.payloads?.[0] ?? null,
      lastFailure: (a.lastFailure as Failure | null | undefined) ?? null,
    }));
    return { history, pending };
  } catch (err) {
    const e = err as { code?: number; message?: string };
    if (e.code === 5 || /not found/i.test(e.message ?? '')) {
      throw new AuditInputError(`workflow ${options.workflowId} not found in namespace ${options.namespace} at ${options.address}`);
    }
    throw new AuditInputError(`cannot read the history of ${options.workflowId}: ${(e.message ?? String(err)).split('\n')[0]}`);
  } finally {
    await connection.close();
  }
}

/** The workflow id the history names (newer servers record it on the first event). */
export function historyWorkflowId(history: History): string | null {
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes as { workflowId?: string } | undefined;
  return started?.workflowId || null;
}

// ----------------------------------------------------------------------------- interpreting it

type Pending = {
  activityId: string;
  request: SandboxRunRequest | null;
  attempt: number;
  lastFailure: Failure | null;
  closed: AuditRun | null;
};

export function auditHistory(
  history: History,
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
        request: decode<SandboxRunRequest>(scheduled.input?.payloads?.[0]),
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
      if (p) p.closed = fromResult(p, decode<RunResult>(completed.result?.payloads?.[0]));
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
    runs.push(p.closed ?? { ...blankRun(p, p.attempt), outcome: 'running', progress: decode<RunProgress>(live?.heartbeat) });
  }
  const refused = runs.flatMap((r) => r.denied.map((d) => ({ activityId: r.activityId, attempt: r.attempt, ...d })));
  return { workflowId, runs, refused };
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
    progress: null,
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
  };
}

function fromFailure(p: Pending, attempt: number, outcome: AuditOutcome, failure: Failure | null): AuditRun {
  const run: AuditRun = { ...blankRun(p, attempt), outcome };
  if (!failure) return run;
  // An activity failure may wrap the application failure (timeouts carry the last one as cause).
  const app = failure.applicationFailureInfo ? failure : failure.cause?.applicationFailureInfo ? failure.cause : null;
  run.message = failure.message ?? null;
  if (failure.timeoutFailureInfo) {
    run.failureType = `timeout (${timeoutName(failure.timeoutFailureInfo.timeoutType)})`;
    run.progress = decode<RunProgress>(failure.timeoutFailureInfo.lastHeartbeatDetails?.payloads?.[0]);
  }
  if (app?.applicationFailureInfo) {
    run.failureType = app.applicationFailureInfo.type ?? 'Error';
    run.message = app.message ?? run.message;
    const details = decode<Partial<CommandFailureDetails>>(app.applicationFailureInfo.details?.payloads?.[0]);
    if (details && typeof details === 'object' && 'termination' in details) {
      run.exitCode = details.exitCode ?? null;
      run.signal = details.signal ?? null;
      run.termination = details.termination ?? null;
      run.durationMs = details.durationMs ?? null;
      run.posture = details.policy?.mode ?? run.posture;
      run.denied = details.denied ?? [];
      run.allowedCount = details.allowed?.length ?? 0;
    }
  }
  return run;
}

function timeoutName(type: unknown): string {
  const names: Record<number, string> = { 1: 'start-to-close', 2: 'schedule-to-start', 3: 'schedule-to-close', 4: 'heartbeat' };
  return typeof type === 'number' ? names[type] ?? String(type) : String(type ?? 'unknown').replace(/^TIMEOUT_TYPE_/, '').toLowerCase();
}

function decode<T>(payload: Payload | null | undefined): T | null {
  if (!payload) return null;
  try {
    return defaultPayloadConverter.fromPayload<T>(payload as Parameters<typeof defaultPayloadConverter.fromPayload>[0]);
  } catch {
    return null; // encrypted or foreign encoding: show what the events themselves say
  }
}

// ----------------------------------------------------------------------------- printing it

/** The command as one readable line; when too long, its longest argument (a script) is cut first. */
export function displayCommand(argv: readonly string[], max = 100): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  const parts = argv.map((a) => a.replace(/\s*\n\s*/g, '; '));
  const length = () => parts.reduce((n, p) => n + quote(p).length + 1, -1);
  const longest = parts.reduce((best, p, i) => (p.length > parts[best].length ? i : best), 0);
  const excess = length() - max;
  if (excess > 0 && parts.length > 0) parts[longest] = `${parts[longest].slice(0, Math.max(12, parts[longest].length - excess - 1))}…`;
  const text = parts.map(quote).join(' ');
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function exitText(r: AuditRun): string {
  if (r.termination === 'timeout') return 'timeout';
  if (r.signal) return r.signal;
  if (r.exitCode !== null) return String(r.exitCode);
  return '-';
}

function outcomeText(r: AuditRun): string {
  if (r.outcome === 'failed' || r.outcome === 'timed-out') return r.failureType ?? r.outcome;
  if (r.outcome === 'running' && r.progress) return `running (${Math.round(r.progress.elapsedMs / 1000)} s)`;
  return r.outcome;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function formatAudit(report: AuditReport): string {
  const title = report.workflowId ? `workflow ${report.workflowId}` : 'workflow';
  if (report.runs.length === 0) return `${title}: no sandboxed runs (${RUN_ACTIVITY}) in its history\n`;
  const runs = table(
    ['ACTIVITY', 'ATTEMPT', 'OUTCOME', 'POSTURE', 'EXIT', 'DURATION', 'REFUSED', 'COMMAND'],
    report.runs.map((r) => [
      r.activityId,
      String(r.attempt),
      outcomeText(r),
      r.posture,
      exitText(r),
      r.durationMs === null ? '-' : `${Math.round(r.durationMs)} ms`,
      String(r.denied.length),
      displayCommand(r.command),
    ]),
  );
  const out = [`${title}: ${report.runs.length} sandboxed run${report.runs.length === 1 ? '' : 's'}`, runs, ''];
  if (report.refused.length === 0) {
    out.push('refused connections: none');
  } else {
    out.push(`refused connections: ${report.refused.length}`);
    out.push(
      table(
        ['ACTIVITY', 'ATTEMPT', 'HOST', 'PORT', 'REASON', 'RULE', 'PROXY', 'ADDRESS'],
        report.refused.map((d) => [
          d.activityId,
          String(d.attempt),
          JSON.stringify(d.host).slice(1, -1),
          String(d.port),
          d.reason ?? '-',
          d.rule ?? '-',
          d.proxy,
          d.address ?? '-',
        ]),
      ),
    );
  }
  return `${out.join('\n')}\n`;
}

// ----------------------------------------------------------------------------- the command

export async function audit(argv: readonly string[]): Promise<number> {
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: {
        history: { type: 'string' },
        json: { type: 'boolean' },
        address: { type: 'string' },
        namespace: { type: 'string' },
        'run-id': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    return fail(`${(err as Error).message.split('\n')[0]} (see temporal-sandbox audit --help)`);
  }
  if (values.help) {
    process.stdout.write(`${AUDIT_USAGE}\n`);
    return 0;
  }
  if (positionals.length > 1) return fail(`one WORKFLOW_ID please, not ${positionals.length} (see temporal-sandbox audit --help)`);
  const workflowId = positionals[0];
  if (!workflowId && !values.history) return fail('name the workflow: temporal-sandbox audit WORKFLOW_ID (or give --history FILE)');

  try {
    let history: History;
    let pending: PendingActivity[] = [];
    if (values.history) {
      history = readHistoryFile(values.history);
      const recorded = historyWorkflowId(history);
      if (workflowId && recorded && recorded !== workflowId) {
        return fail(`${values.history} holds the history of workflow ${recorded}, not ${workflowId}`);
      }
    } else {
      ({ history, pending } = await fetchHistory({
        workflowId: workflowId!,
        runId: values['run-id'],
        address: values.address ?? process.env.TEMPORAL_ADDRESS ?? 'localhost:7233',
        namespace: values.namespace ?? process.env.TEMPORAL_NAMESPACE ?? 'default',
      }));
    }
    const report = auditHistory(history, workflowId ?? historyWorkflowId(history), pending);
    process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatAudit(report));
    return 0;
  } catch (err) {
    if (err instanceof AuditInputError) return fail(err.message);
    throw err;
  }
}

function fail(message: string): number {
  process.stderr.write(`temporal-sandbox audit: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  return EXIT_USAGE;
}
