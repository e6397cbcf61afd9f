// What a workflow can ask of one run, and what it gets back: failOnDenied (session and call),
// commands that cannot be run are not retried, a caught failure's typed details, per-call
// activity options, and the worker's settings passed through SandboxPlugin.
import { WorkflowFailedError } from '@temporalio/client';
import type { Outcome } from '../../examples/workflows';
import type { RunResult } from '../../workflows';
import { startPackageIndex, type PackageIndex } from '../../fixtures/package-index';
import { EVIL_HOST, PKG_HOST } from './env';
import { connectClient, startWorker, uniqueName, type TestClient, type TestWorker } from './helpers';

let tc: TestClient;
let worker: TestWorker;
let index: PackageIndex;

beforeAll(async () => {
  tc = await connectClient();
  worker = await startWorker();
  index = await startPackageIndex();
});

afterAll(async () => {
  await worker?.stop();
  await tc?.close();
  await index?.close();
});

const start = (type: string, input: unknown, w: TestWorker = worker) =>
  tc.client.workflow.start(type, { taskQueue: w.taskQueue, workflowId: uniqueName(type), args: [input] });

const allowIndex = () => ({
  networkMode: 'allowlist' as const,
  networkAllowlist: [`${PKG_HOST}:${index.port}`, `127.0.0.1:${index.port}`],
  retry: { initialInterval: '50ms', maximumAttempts: 5 },
});
// curl -s prints the proxy's 403 and exits 0: the command shrugs the refusal off.
const shrugOff = () => `curl -s -o /dev/null http://${EVIL_HOST}:${index.port}/`;

async function causeOf(p: Promise<unknown>): Promise<{ type?: string; nonRetryable?: boolean; message?: string; details?: unknown[] }> {
  const err = await p.then(() => null, (e) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return (err as WorkflowFailedError).cause!.cause as never;
}

describe('failOnDenied', () => {
  test('without it, a refusal the command shrugs off is not a failure (documented)', async () => {
    const result: RunResult = await (await start('sandboxedCommand', { session: allowIndex(), command: shrugOff() })).result();
    expect(result.exitCode).toBe(0);
    expect(result.denied).toEqual([expect.objectContaining({ host: EVIL_HOST, reason: 'not-allowlisted' })]);
  });

  test.each([
    ['per call', () => ({ session: allowIndex(), call: { failOnDenied: true } })],
    ['on the session', () => ({ session: { ...allowIndex(), failOnDenied: true } })],
  ])('set %s, any policy refusal is a non-retryable SandboxNetworkDenied whatever the exit code', async (_, input) => {
    const handle = await start('sandboxedCommand', { ...input(), command: shrugOff() });
    const cause = await causeOf(handle.result());
    expect(cause).toMatchObject({ type: 'SandboxNetworkDenied', nonRetryable: true });
    expect(cause.message).toMatch(/exited with code 0, but failOnDenied is set; the sandbox refused 1 connection: .* is not on the allowlist/);
    const started = (await handle.fetchHistory()).events!.filter((e) => e.activityTaskStartedEventAttributes);
    expect(started.map((e) => e.activityTaskStartedEventAttributes!.attempt)).toEqual([1]);
  });

  test('a call may turn the session default off', async () => {
    const input = { session: { ...allowIndex(), failOnDenied: true }, call: { failOnDenied: false }, command: shrugOff() };
    const result: RunResult = await (await start('sandboxedCommand', input)).result();
    expect(result.exitCode).toBe(0);
  });
});

test.each([
  ['not found (127)', 'no-such-program-anywhere', /not found: not retried/],
  ['not executable (126)', '/usr', /found but not executable: not retried/], // a directory: EACCES
])('a command %s is a non-retryable SandboxCommandFailed: one attempt, though retry allows five', async (_, command, message) => {
  const handle = await start('sandboxedCommand', { session: { retry: { initialInterval: '50ms', maximumAttempts: 5 } }, command: [command] });
  const cause = await causeOf(handle.result());
  expect(cause).toMatchObject({ type: 'SandboxCommandFailed', nonRetryable: true });
  expect(cause.message).toMatch(message);
  const started = (await handle.fetchHistory()).events!.filter((e) => e.activityTaskStartedEventAttributes);
  expect(started).toHaveLength(1);
});

describe('sandboxFailureOf in a workflow', () => {
  test('a failed run caught in the workflow: its type and typed details', async () => {
    const outcome: Outcome = await (await start('tryCommand', { session: { retry: { maximumAttempts: 1 } }, command: 'echo oops >&2; exit 3' })).result();
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.failure.type).toBe('SandboxCommandFailed');
    if (outcome.failure.type !== 'SandboxCommandFailed') return;
    expect(outcome.failure.details).toMatchObject({ exitCode: 3, termination: 'exited', stderrTail: 'oops\n', command: ['/bin/sh', '-c', 'echo oops >&2; exit 3'] });
  });

  test('a policy error the workflow raised itself (a broadening call), with the entry at fault', async () => {
    const input = { session: { networkMode: 'allowlist', networkAllowlist: ['pypi.org'] }, call: { networkMode: 'open' }, command: 'true' };
    const outcome: Outcome = await (await start('tryCommand', input)).result();
    expect(outcome).toMatchObject({ ok: false, failure: { type: 'SandboxPolicyError', nonRetryable: true, details: { entry: 'open', ceiling: 'session networkMode' } } });
  });

  test('a run that succeeded is not a failure', async () => {
    const outcome: Outcome = await (await start('tryCommand', { command: 'echo fine' })).result();
    expect(outcome).toMatchObject({ ok: true, result: { stdout: 'fine\n' } });
  });
});

test('per-call activity options: summary, startToCloseTimeout and retry of that call only', async () => {
  const call = { summary: 'fetch the index', startToCloseTimeout: '7 seconds', retry: { maximumAttempts: 2 } };
  const handle = await start('sandboxedCommand', { session: { retry: { initialInterval: '50ms' } }, call, command: 'true' });
  await handle.result();
  const scheduled = (await handle.fetchHistory()).events!.find((e) => e.activityTaskScheduledEventAttributes)!;
  const attrs = scheduled.activityTaskScheduledEventAttributes!;
  expect(Number(attrs.startToCloseTimeout!.seconds)).toBe(7);
  expect(attrs.retryPolicy!.maximumAttempts).toBe(2);
  expect(attrs.retryPolicy!.nonRetryableErrorTypes).toContain('SandboxNetworkDenied'); // the session's defaults stay
  const summary = Buffer.from(scheduled.userMetadata!.summary!.data!).toString('utf8');
  expect(JSON.parse(summary)).toBe('fetch the index');
});

describe('the worker settings SandboxPlugin takes', () => {
  let tuned: TestWorker;
  beforeAll(async () => {
    tuned = await startWorker({
      plugin: {
        maxRecords: 1,
        proxyLimits: { maxHeaderBytes: 2048 },
        resolveStatic: { 'tuned.example.test': '127.0.0.1', [PKG_HOST]: '127.0.0.1' },
      },
    });
  });
  afterAll(() => tuned?.stop());

  test('resolveStatic answers names, maxRecords bounds the records, proxyLimits bound the proxies', async () => {
    const port = index.port;
    const session = { networkMode: 'allowlist', networkAllowlist: [`tuned.example.test:${port}`, `127.0.0.1:${port}`] };
    const command = [
      `curl -s -o /dev/null -w '%{http_code}\\n' http://tuned.example.test:${port}/`,
      // Two refusals: only the first is kept.
      `curl -s -o /dev/null http://${EVIL_HOST}:${port}/`,
      `curl -s -o /dev/null http://${PKG_HOST}:${port}/`,
      // A request head over 2 KiB: 431 from the proxy.
      `curl -s -o /dev/null -w '%{http_code}\\n' -H "X-Big: $(head -c 3000 /dev/zero | tr '\\0' a)" http://tuned.example.test:${port}/`,
    ].join('; ');
    const result: RunResult = await (await start('sandboxedCommand', { session, command }, tuned)).result();
    expect(result.stdout).toBe('200\n431\n');
    expect(result.denied).toHaveLength(1);
    expect(result.recordsDropped.denied).toBe(1);
  });
});
