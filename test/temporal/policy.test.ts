// Ceilings through a real Temporal server: the workflow refuses a broadening run() before
// scheduling anything, and the worker refuses a session above its own ceiling, once, for good.
import { ActivityFailure, ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { connectClient, sandboxRunsScheduled, startWorker, uniqueName, type TestClient, type TestWorker } from './helpers';

let tc: TestClient;
let open: TestWorker; // the default worker ceiling: maxNetworkMode 'open'
let strict: TestWorker; // maxNetworkMode 'allowlist', allowlist *.example.test

beforeAll(async () => {
  tc = await connectClient();
  open = await startWorker();
  strict = await startWorker({ plugin: { maxNetworkMode: 'allowlist', networkAllowlist: ['*.example.test'] } });
});

afterAll(async () => {
  await Promise.all([open?.stop(), strict?.stop()]);
  await tc?.close();
});

async function failureOf(taskQueue: string, input: unknown): Promise<{ error: WorkflowFailedError; workflowId: string }> {
  const workflowId = uniqueName('policy');
  const error = await tc.client.workflow
    .execute('sandboxedCommand', { taskQueue, workflowId, args: [input], workflowExecutionTimeout: '60s' })
    .then(
      (value) => {
        throw new Error(`expected the workflow to fail, it returned ${JSON.stringify(value).slice(0, 200)}`);
      },
      (err) => err,
    );
  expect(error).toBeInstanceOf(WorkflowFailedError);
  return { error, workflowId };
}

describe('in the workflow (before anything is scheduled)', () => {
  test('a run() allowlist entry the session does not cover fails the workflow, naming the entry; no activity was scheduled', async () => {
    const { error, workflowId } = await failureOf(open.taskQueue, {
      session: { networkMode: 'allowlist', networkAllowlist: ['pkgs.example.test:443'] },
      command: 'true',
      call: { networkAllowlist: ['evil.example.test:443'] },
    });
    const cause = error.cause as ApplicationFailure;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause.type).toBe('SandboxPolicyError');
    expect(cause.nonRetryable).toBe(true);
    expect(cause.message).toContain("'evil.example.test:443'");
    expect(cause.message).toContain('session allowlist');
    expect(cause.details?.[0]).toEqual({ entry: 'evil.example.test:443', ceiling: 'session allowlist' });

    const history = await tc.client.workflow.getHandle(workflowId).fetchHistory();
    expect(sandboxRunsScheduled(history)).toHaveLength(0);
    expect(history.events?.some((e) => e.workflowExecutionFailedEventAttributes)).toBe(true);
  });

  test('a run() posture above the session posture fails the same way', async () => {
    const { error, workflowId } = await failureOf(open.taskQueue, {
      session: { networkMode: 'blocked' },
      command: ['true'],
      call: { networkMode: 'open' },
    });
    const cause = error.cause as ApplicationFailure;
    expect(cause.type).toBe('SandboxPolicyError');
    expect(cause.message).toMatch(/run\(\) networkMode 'open' exceeds the session networkMode 'blocked'/);
    const history = await tc.client.workflow.getHandle(workflowId).fetchHistory();
    expect(sandboxRunsScheduled(history)).toHaveLength(0);
  });

  test('an empty command is refused in the workflow as SandboxInputError', async () => {
    const { error, workflowId } = await failureOf(open.taskQueue, { command: [] });
    expect((error.cause as ApplicationFailure).type).toBe('SandboxInputError');
    const history = await tc.client.workflow.getHandle(workflowId).fetchHistory();
    expect(sandboxRunsScheduled(history)).toHaveLength(0);
  });

  test('a per-call denylist and a malformed session entry are refused too', async () => {
    const denyPerCall = await failureOf(open.taskQueue, {
      session: { networkMode: 'open' },
      command: 'true',
      call: { networkDenylist: ['evil.example.test'] },
    });
    expect((denyPerCall.error.cause as ApplicationFailure).message).toMatch(/denylist is set on the session only/);

    const malformed = await failureOf(open.taskQueue, {
      session: { networkMode: 'allowlist', networkAllowlist: ['10/8'] },
      command: 'true',
    });
    const cause = malformed.error.cause as ApplicationFailure;
    expect(cause.type).toBe('SandboxPolicyError');
    expect(cause.message).toContain("'10/8'");
    const history = await tc.client.workflow.getHandle(malformed.workflowId).fetchHistory();
    expect(sandboxRunsScheduled(history)).toHaveLength(0);
  });
});

describe('in the worker (the trust boundary)', () => {
  test('a session above the worker ceiling fails in the activity with SandboxPolicyError, attempt 1 only', async () => {
    const { error, workflowId } = await failureOf(strict.taskQueue, {
      session: { networkMode: 'open', retry: { initialInterval: '50ms', maximumAttempts: 5 } },
      command: 'true',
    });
    expect(error.cause).toBeInstanceOf(ActivityFailure);
    const cause = error.cause?.cause as ApplicationFailure;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause.type).toBe('SandboxPolicyError');
    expect(cause.nonRetryable).toBe(true);
    expect(cause.message).toMatch(/networkMode 'open' exceeds the worker ceiling maxNetworkMode 'allowlist'/);

    const history = await tc.client.workflow.getHandle(workflowId).fetchHistory();
    expect(sandboxRunsScheduled(history)).toHaveLength(1);
    const started = history.events!.filter((e) => e.activityTaskStartedEventAttributes);
    expect(started.map((e) => e.activityTaskStartedEventAttributes!.attempt)).toEqual([1]);
    expect((error.cause as ActivityFailure).retryState).toBe('NON_RETRYABLE_FAILURE');
  });

  test('a session allowlist entry outside the worker allowlist is refused by the worker', async () => {
    const { error } = await failureOf(strict.taskQueue, {
      session: { networkMode: 'allowlist', networkAllowlist: ['pypi.org:443'] },
      command: 'true',
    });
    const cause = error.cause?.cause as ApplicationFailure;
    expect(cause.type).toBe('SandboxPolicyError');
    expect(cause.message).toContain("'pypi.org:443'");
    expect(cause.message).toContain('worker allowlist');
  });

  test("backend 'none' is not among the worker's default backends", async () => {
    const { error } = await failureOf(open.taskQueue, { session: { backend: 'none' }, command: 'true' });
    const cause = error.cause?.cause as ApplicationFailure;
    expect(cause.type).toBe('SandboxPolicyError');
    expect(cause.message).toMatch(/backend 'none' is not allowed by the worker ceiling/);
  });

  test('input the worker cannot use (a missing cwd) is a non-retryable SandboxInputError', async () => {
    const { error, workflowId } = await failureOf(open.taskQueue, {
      session: { retry: { initialInterval: '50ms', maximumAttempts: 5 } },
      command: 'pwd',
      call: { cwd: '/nonexistent/dir' },
    });
    const cause = error.cause?.cause as ApplicationFailure;
    expect(cause.type).toBe('SandboxInputError');
    expect(cause.nonRetryable).toBe(true);
    expect(cause.message).toContain('/nonexistent/dir');
    const history = await tc.client.workflow.getHandle(workflowId).fetchHistory();
    expect(history.events!.filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.attempt)).toEqual([1]);
  });

  test('within both ceilings the run goes ahead', async () => {
    const result = await tc.client.workflow.execute('sandboxedCommand', {
      taskQueue: strict.taskQueue,
      workflowId: uniqueName('policy-ok'),
      args: [{ session: { networkMode: 'allowlist', networkAllowlist: ['pkgs.example.test'] }, command: 'echo inside', call: { networkMode: 'blocked' } }],
    });
    expect(result.stdout).toBe('inside\n');
    expect(result.policy.mode).toBe('blocked');
  });
});

describe('report mode (a session option)', () => {
  test('report: true allows and records every public destination; a worker allowlist refuses it', async () => {
    const result = await tc.client.workflow.execute('sandboxedCommand', {
      taskQueue: open.taskQueue,
      workflowId: uniqueName('report'),
      args: [{ session: { networkMode: 'allowlist', report: true }, command: 'true' }],
    });
    expect(result.policy.report).toBe(true);
    expect(result.policy.notes.join(' ')).toContain('report mode');
    const { error } = await failureOf(strict.taskQueue, { session: { networkMode: 'allowlist', report: true }, command: 'true' });
    const cause = (error.cause as ActivityFailure).cause as ApplicationFailure;
    expect(cause.type).toBe('SandboxPolicyError');
    expect(cause.message).toContain('report is not allowed under a worker allowlist');
  });
});
