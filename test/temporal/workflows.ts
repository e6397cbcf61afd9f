// The workflows the Temporal tests run: the examples, and a small interpreter of session steps
// that records each step's outcome (a sandbox failure is caught and returned, typed), so one test
// can drive a session call by call and look at what each call gave.
import { condition, defineSignal, isCancellation, setHandler, sleep } from '@temporalio/workflow';
import {
  openSandboxSession, sandboxFailureOf, withSandboxSession, type OpenSandboxSession, type OpenSandboxSessionOptions, type RunCallOptions,
  type SandboxFailure,
} from '../../workflows';

export * from '../../examples/workflows';

/** Data for putFile: text, every byte value in order, or `count` copies of one byte. */
export type PutData = { text: string } | { allBytes: true } | { fill: number; count: number };

export type Step =
  | { run: string | string[]; call?: RunCallOptions }
  | { put: string; data: PutData; mode?: number }
  | { get: string; maxBytes?: number }
  | { sleepMs: number }
  /** Waits for the `proceed` signal. */
  | { wait: true }
  | { close: true };

/** What getFile gave: its length, an FNV-1a hash of its bytes, and the text of a short file. */
export type GotFile = { bytes: number; fnv: number; text: string | null };

export type StepOutcome = { ok: true; value: unknown } | { ok: false; failure: SandboxFailure | { type: 'other'; message: string } };

export type SessionStepsInput = {
  options: OpenSandboxSessionOptions & { reopenOnLost?: number };
  steps: Step[];
  /** Run the steps inside withSandboxSession (closed however the workflow ends). */
  scoped?: boolean;
  /** Stop at the first step that fails (its outcome is the last one). */
  stopOnFailure?: boolean;
};

export type SessionStepsResult = { sessionId: string; worker: string; taskQueue: string; workdir: string; outcomes: StepOutcome[] };

export const proceed = defineSignal('proceed');

export async function sessionSteps(input: SessionStepsInput): Promise<SessionStepsResult> {
  let proceeded = 0;
  let waited = 0;
  setHandler(proceed, () => void proceeded++);
  const wait = async () => {
    waited++;
    await condition(() => proceeded >= waited);
  };
  const go = (session: OpenSandboxSession) => drive(session, input, wait);
  if (input.scoped) return withSandboxSession(input.options, go);
  return go(await openSandboxSession(input.options));
}

/**
 * Several sessions at once, each driven through the same steps and closed at the end. None starts
 * its steps before all are open, so all `count` are open together at one point.
 */
export async function parallelSessions(input: SessionStepsInput & { count: number }): Promise<SessionStepsResult[]> {
  let opened = 0;
  return Promise.all(
    Array.from({ length: input.count }, () =>
      withSandboxSession(input.options, async (s) => {
        opened++;
        await condition(() => opened >= input.count);
        return drive(s, input, async () => {});
      }),
    ),
  );
}

async function drive(session: OpenSandboxSession, input: SessionStepsInput, wait: () => Promise<void>): Promise<SessionStepsResult> {
  const outcomes: StepOutcome[] = [];
  for (const step of input.steps) {
    const outcome = await perform(session, step, wait, (input.options.reopenOnLost ?? 0) > 0);
    outcomes.push(outcome);
    if (!outcome.ok && input.stopOnFailure) break;
  }
  return { sessionId: session.sessionId, worker: session.worker, taskQueue: session.taskQueue, workdir: session.workdir, outcomes };
}

/** One step; a failure becomes its outcome, except a lost session when `reopening` (withSandboxSession must see it). */
async function perform(session: OpenSandboxSession, step: Step, wait: () => Promise<void>, reopening: boolean): Promise<StepOutcome> {
  try {
    if ('run' in step) return { ok: true, value: await session.run(step.run, step.call) };
    if ('put' in step) return { ok: true, value: await session.putFile(step.put, dataOf(step.data), step.mode === undefined ? {} : { mode: step.mode }) };
    if ('get' in step) return { ok: true, value: described(await session.getFile(step.get, step.maxBytes === undefined ? {} : { maxBytes: step.maxBytes })) };
    if ('sleepMs' in step) return { ok: true, value: await sleep(step.sleepMs) };
    if ('wait' in step) return { ok: true, value: await wait() };
    return { ok: true, value: await session.close() };
  } catch (err) {
    if (isCancellation(err)) throw err; // the workflow was cancelled: let it end so
    const failure = sandboxFailureOf(err);
    if (reopening && failure?.type === 'SandboxSessionLost') throw err;
    return { ok: false, failure: failure ?? { type: 'other', message: String((err as Error)?.message ?? err) } };
  }
}

function dataOf(data: PutData): string | Uint8Array {
  if ('text' in data) return data.text;
  if ('allBytes' in data) return Uint8Array.from({ length: 256 }, (_, i) => i);
  return new Uint8Array(data.count).fill(data.fill);
}

function described(bytes: Uint8Array): GotFile {
  let fnv = 0x811c9dc5;
  for (const b of bytes) fnv = Math.imul(fnv ^ b, 0x01000193) >>> 0;
  return { bytes: bytes.length, fnv, text: bytes.length <= 4096 ? new TextDecoder().decode(bytes) : null };
}
