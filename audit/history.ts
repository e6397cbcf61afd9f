// The parts of a workflow history the audit reads, typed structurally: the same field names hold
// in a history fetched from the server (protobuf objects: bytes as Uint8Array, ids as Long) and
// in a JSON export (`temporal workflow show --output json`: bytes as base64, ids as strings). So a
// history file is read as plain JSON, with no protobuf library, and no second copy of one can
// break it (docs/temporal.md, "Audit").

export type Bytes = Uint8Array | string;
export type PayloadLike = { metadata?: Record<string, Bytes> | null; data?: Bytes | null } | null | undefined;
type Payloads = { payloads?: PayloadLike[] | null } | null | undefined;
type Id = string | number | { toString(): string } | null | undefined;

export type FailureLike = {
  message?: string | null;
  cause?: FailureLike | null;
  applicationFailureInfo?: { type?: string | null; details?: Payloads } | null;
  timeoutFailureInfo?: { timeoutType?: number | string | null; lastHeartbeatDetails?: Payloads } | null;
} | null;

export type HistoryEventLike = {
  eventId?: Id;
  workflowExecutionStartedEventAttributes?: { workflowId?: string | null } | null;
  activityTaskScheduledEventAttributes?: { activityId?: string | null; activityType?: { name?: string | null } | null; input?: Payloads } | null;
  activityTaskStartedEventAttributes?: { scheduledEventId?: Id; attempt?: number | null; lastFailure?: FailureLike } | null;
  activityTaskCompletedEventAttributes?: { scheduledEventId?: Id; result?: Payloads } | null;
  activityTaskFailedEventAttributes?: { scheduledEventId?: Id; failure?: FailureLike } | null;
  activityTaskTimedOutEventAttributes?: { scheduledEventId?: Id; failure?: FailureLike } | null;
  activityTaskCanceledEventAttributes?: { scheduledEventId?: Id } | null;
};

export type HistoryLike = { events?: HistoryEventLike[] | null };

/** What the server says of an activity still running (history has only its scheduling then). */
export type PendingActivity = { activityId: string; attempt: number; heartbeat: PayloadLike; lastFailure: FailureLike };

/** The workflow id the history names (newer servers record it on the first event). */
export function historyWorkflowId(history: HistoryLike): string | null {
  return history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowId || null;
}

function bytes(value: Bytes | null | undefined): Buffer | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return Buffer.from(value, 'base64');
  if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  // An empty bytes field decoded by a server's client library can be a plain empty array.
  return Array.isArray(value) ? Buffer.from(value as number[]) : Buffer.alloc(0);
}

/**
 * A payload's value, for the encodings a sandboxed run writes (json/plain, binary/null). Anything
 * else (an encrypting codec, say) is null: the audit then shows what the events themselves say.
 */
export function decodePayload<T>(payload: PayloadLike): T | null {
  const encoding = bytes(payload?.metadata?.encoding)?.toString('utf8');
  if (encoding === 'binary/null') return null;
  if (encoding !== 'json/plain') return null;
  const data = bytes(payload?.data);
  if (!data) return null;
  try {
    return JSON.parse(data.toString('utf8')) as T;
  } catch {
    return null;
  }
}

/** How many bytes a payload carries (a file a session's getFile returned, say); null when none. */
export function payloadSize(payload: PayloadLike): number | null {
  return bytes(payload?.data)?.length ?? null;
}
