// What comes back through Temporal: bounded output, refused connections as a non-retryable
// SandboxNetworkDenied with the records in its details, and the postures example's results.
import { ActivityFailure, ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { startPackageIndex, type PackageIndex } from '../../fixtures/package-index';
import type { PostureStep } from '../../examples/workflows';
import type { CommandFailureDetails, RunResult } from '../../workflows';
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

const run = (input: unknown, workflowId = uniqueName('results')): Promise<RunResult> =>
  tc.client.workflow.execute('sandboxedCommand', { taskQueue: worker.taskQueue, workflowId, args: [input] });

test('2 MB on stdout and on stderr come back bounded, far below the payload limit, with the totals', async () => {
  const workflowId = uniqueName('bounded');
  const result = await run({ command: 'head -c 2000000 /dev/zero | tr "\\0" x; head -c 2000000 /dev/zero | tr "\\0" y >&2' }, workflowId);
  expect(result.exitCode).toBe(0);
  expect(result.stdoutBytes).toBe(2_000_000);
  expect(result.stderrBytes).toBe(2_000_000);
  expect(result.stdoutTruncated).toBe(true);
  expect(result.stderrTruncated).toBe(true);
  expect(result.stdout.length).toBeLessThanOrEqual(300 * 1024);
  expect(result.stdout.startsWith('xxxx')).toBe(true);
  expect(result.stdout.endsWith('xxxx')).toBe(true);
  // The payload that landed in history: well under the server's 2 MB blob limit.
  const history = await tc.client.workflow.getHandle(workflowId).fetchHistory();
  const completed = history.events!.find((e) => e.activityTaskCompletedEventAttributes)!;
  const size = completed.activityTaskCompletedEventAttributes!.result!.payloads![0].data!.length;
  expect(size).toBeLessThan(700 * 1024);
});

test('refused connections make a failed command a non-retryable SandboxNetworkDenied carrying the records', async () => {
  const workflowId = uniqueName('denied');
  const error = await run(
    {
      session: {
        networkMode: 'allowlist',
        networkAllowlist: [`${PKG_HOST}:${index.port}`, `127.0.0.1:${index.port}`],
        retry: { initialInterval: '50ms', maximumAttempts: 5 },
      },
      command: `curl -fsS http://${PKG_HOST}:${index.port}/ -o /dev/null && curl -fsS http://${EVIL_HOST}:${index.port}/`,
    },
    workflowId,
  ).catch((err) => err);
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const activity = error.cause as ActivityFailure;
  expect(activity.retryState).toBe('NON_RETRYABLE_FAILURE');
  const failure = activity.cause as ApplicationFailure;
  expect(failure.type).toBe('SandboxNetworkDenied');
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toContain(`${EVIL_HOST}:${index.port} is not on the allowlist`);
  const details = failure.details?.[0] as CommandFailureDetails;
  expect(details.exitCode).toBe(22); // curl -f on the proxy's 403
  expect(details.denied).toEqual([
    expect.objectContaining({ proxy: 'http', host: EVIL_HOST, port: index.port, reason: 'not-allowlisted' }),
  ]);
  expect(details.allowed).toEqual([expect.objectContaining({ host: PKG_HOST, port: index.port })]);
  expect(details.policy.mode).toBe('allowlist');
  expect(details.stderrTail).toContain('403');

  const history = await tc.client.workflow.getHandle(workflowId).fetchHistory();
  const attempts = history.events!.filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.attempt);
  expect(attempts).toEqual([1]);
});

test('a refusal the command shrugs off is not a failure: the run succeeds and still reports it', async () => {
  const result = await run({
    session: { networkMode: 'allowlist', networkAllowlist: [`${PKG_HOST}:${index.port}`, `127.0.0.1:${index.port}`] },
    command: `curl -sS -o /dev/null -w '%{http_code}' http://${EVIL_HOST}:${index.port}/`,
  });
  expect(result.exitCode).toBe(0);
  expect(result.stdout).toBe('403');
  expect(result.denied).toEqual([expect.objectContaining({ host: EVIL_HOST, reason: 'not-allowlisted' })]);
});

test('the postures example: what each posture let through and what it refused', async () => {
  const allow = [`${PKG_HOST}:${index.port}`, `127.0.0.1:${index.port}`];
  const urls = [`http://${PKG_HOST}:${index.port}/`, `http://${EVIL_HOST}:${index.port}/`, 'http://169.254.169.254/latest/meta-data/'];
  const hitsBefore = index.hits.length;
  const steps: PostureStep[] = await tc.client.workflow.execute('networkPostures', {
    taskQueue: worker.taskQueue,
    workflowId: uniqueName('postures'),
    args: [{ urls, allow, deny: [EVIL_HOST] }],
  });
  expect(steps.map((s) => s.posture)).toEqual(['blocked', 'allowlist', 'open']);
  const [blocked, allowlist, open] = steps.map((s) => s.result);

  // blocked: nothing resolves or connects, and there are no proxies to record anything.
  for (const url of urls) expect(blocked.stdout).toMatch(new RegExp(`^${url.replace(/[.?/]/g, '\\$&')} -> failed \\(curl exit \\d+\\)$`, 'm'));
  expect(blocked.denied).toEqual([]);
  expect(blocked.allowed).toEqual([]);

  // allowlist: the index only; the denylist (a test name, and cloud metadata) wins and is recorded.
  expect(allowlist.stdout).toContain(`${urls[0]} -> 200`);
  expect(allowlist.stdout).toContain(`${urls[1]} -> 403`);
  expect(allowlist.stdout).toContain(`${urls[2]} -> 403`);
  expect(allowlist.denied).toEqual([
    expect.objectContaining({ host: EVIL_HOST, reason: 'denylisted', rule: EVIL_HOST }),
    expect.objectContaining({ host: '169.254.169.254', reason: 'denylisted', rule: '169.254.0.0/16' }),
  ]);
  expect(allowlist.policy.denylist).toEqual(expect.arrayContaining(['169.254.0.0/16', 'metadata.google.internal', EVIL_HOST]));

  // open: the host network; the proxies still apply the denylist to clients that use them.
  expect(open.stdout).toContain(`${urls[0]} -> 200`);
  expect(open.stdout).toContain(`${urls[1]} -> 403`);
  expect(open.stdout).toContain(`${urls[2]} -> 403`);
  expect(open.denied.map((d) => d.reason)).toEqual(['denylisted', 'denylisted']);
  expect(open.policy.notes.join(' ')).toMatch(/not a wall/);

  // The index saw the two allowed requests only.
  expect(index.hits.slice(hitsBefore)).toEqual([expect.stringMatching(/^GET .* \/ -> 200$/), expect.stringMatching(/^GET .* \/ -> 200$/)]);
});

test('a run over its timeoutSeconds is ended: SandboxCommandFailed with termination timeout', async () => {
  const started = Date.now();
  const error = await run({ session: { retry: { maximumAttempts: 1 } }, command: ['sleep', '30'], call: { timeoutSeconds: 0.5 } }).catch((err) => err);
  expect(Date.now() - started).toBeLessThan(10_000);
  const failure = (error as WorkflowFailedError).cause?.cause as ApplicationFailure;
  expect(failure.type).toBe('SandboxCommandFailed');
  expect(failure.nonRetryable).toBe(false);
  expect(failure.message).toMatch(/timed out/);
  expect(failure.details?.[0]).toMatchObject({ termination: 'timeout', exitCode: null, command: ['sleep', '30'] });
});
