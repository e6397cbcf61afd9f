// Where a history comes from: a JSON export, or the server (whose client is loaded only here, only
// when asked: `temporal-sandbox run` never pays for it).
import { readFileSync } from 'node:fs';
import type { FailureLike, HistoryLike, PendingActivity } from './history';

/** Typed so the command can tell "cannot read it" (exit 125) from a bug. */
export class AuditInputError extends Error {}

/** A JSON export: `{ "events": [...] }`, or the same under "history". */
export function readHistoryFile(file: string): HistoryLike {
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
  if (!body.events.every((e: unknown) => e !== null && typeof e === 'object')) throw new AuditInputError(`${file} is not a workflow history: an event is not an object`);
  return body as HistoryLike;
}

/** The history, and the pending activities of a workflow still running (their attempt, heartbeat and last failure). */
export async function fetchHistory(options: {
  workflowId: string;
  runId?: string;
  address: string;
  namespace: string;
}): Promise<{ history: HistoryLike; pending: PendingActivity[] }> {
  let client: typeof import('@temporalio/client');
  try {
    client = await import('@temporalio/client');
  } catch {
    throw new AuditInputError('audit WORKFLOW_ID needs @temporalio/client: npm install @temporalio/client (or audit a history file with --history FILE)');
  }
  let connection: import('@temporalio/client').Connection;
  try {
    // A history page holds whole events, and a session's file calls carry up to 2 MiB each:
    // past gRPC's default 4 MB a page of them could not be received at all.
    connection = await client.Connection.connect({
      address: options.address,
      connectTimeout: '10 seconds',
      channelArgs: { 'grpc.max_receive_message_length': 128 * 1024 * 1024 },
    });
  } catch (err) {
    throw new AuditInputError(`cannot reach the Temporal server at ${options.address}: ${(err as Error).message}`);
  }
  try {
    const handle = new client.Client({ connection, namespace: options.namespace }).workflow.getHandle(options.workflowId, options.runId);
    const history = (await handle.fetchHistory()) as HistoryLike;
    const description = await handle.describe();
    const pending = (description.raw.pendingActivities ?? []).map((a) => ({
      activityId: a.activityId ?? '',
      attempt: a.attempt ?? 1,
      heartbeat: a.heartbeatDetails?.payloads?.[0] ?? null,
      lastFailure: (a.lastFailure as FailureLike | undefined) ?? null,
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
