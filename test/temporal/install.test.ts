// The install example through a real server: a flaky package index (503 to the first downloads)
// makes attempts fail, Temporal retries them in fresh sandboxes, and history shows the attempts.
import { ActivityFailure, ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { auditHistory } from '../../audit/report';
import { PACKAGE_PATH, startPackageIndex, type PackageIndex } from '../../fixtures/package-index';
import type { CommandFailureDetails, RunResult } from '../../workflows';
import { PKG_HOST } from './env';
import { connectClient, startWorker, uniqueName, type TestClient, type TestWorker } from './helpers';

let tc: TestClient;
let worker: TestWorker;

beforeAll(async () => {
  tc = await connectClient();
  worker = await startWorker();
});

afterAll(async () => {
  await worker?.stop();
  await tc?.close();
});

function installInput(index: PackageIndex, extra: Record<string, unknown> = {}) {
  return {
    url: index.packageUrl(PKG_HOST),
    // The name, and its loopback address explicitly: the internal-address backstop refuses
    // loopback unless an IP entry allows it.
    allow: [`${PKG_HOST}:${index.port}`, `127.0.0.1:${index.port}`],
    retryInitialInterval: '100ms',
    ...extra,
  };
}

test('a retried install succeeds on attempt 3, and history and the audit show the attempts', async () => {
  const index = await startPackageIndex({ failFirst: 2 });
  try {
    const workflowId = uniqueName('install');
    const result: RunResult = await tc.client.workflow.execute('installPackage', {
      taskQueue: worker.taskQueue,
      workflowId,
      args: [installInput(index)],
    });
    expect(result.stdout).toBe('installed demo-pkg 1.0\n');
    expect(result.exitCode).toBe(0);
    expect(result.policy.mode).toBe('allowlist');
    expect(result.allowed).toEqual([expect.objectContaining({ host: PKG_HOST, port: index.port, address: '127.0.0.1' })]);
    expect(index.hits.filter((h) => h.includes(PACKAGE_PATH))).toEqual([
      expect.stringMatching(/-> 503$/),
      expect.stringMatching(/-> 503$/),
      expect.stringMatching(/-> 200$/),
    ]);

    const history = await tc.client.workflow.getHandle(workflowId).fetchHistory();
    const started = history.events!.filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!);
    expect(started).toHaveLength(1); // retries are not separate events: the last attempt's are
    expect(started[0].attempt).toBe(3);
    expect(started[0].lastFailure?.applicationFailureInfo?.type).toBe('SandboxCommandFailed');
    expect(history.events!.some((e) => e.activityTaskCompletedEventAttributes)).toBe(true);

    const report = auditHistory(history);
    expect(report.workflowId).toBe(workflowId);
    expect(report.runs.map((r) => [r.attempt, r.outcome, r.failureType, r.exitCode])).toEqual([
      [2, 'failed', 'SandboxCommandFailed', 22], // curl -f: HTTP error
      [3, 'completed', null, 0],
    ]);
    expect(report.runs[1].posture).toBe('allowlist');
    expect(report.refused).toEqual([]);
  } finally {
    await index.close();
  }
});

test('an index that never recovers exhausts maximumAttempts with SandboxCommandFailed carrying the exit and stderr', async () => {
  const index = await startPackageIndex({ failFirst: 1000 });
  try {
    const error = await tc.client.workflow
      .execute('installPackage', {
        taskQueue: worker.taskQueue,
        workflowId: uniqueName('install-fails'),
        args: [installInput(index, { maximumAttempts: 2 })],
      })
      .catch((err) => err);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const activity = error.cause as ActivityFailure;
    expect(activity).toBeInstanceOf(ActivityFailure);
    expect(activity.retryState).toBe('MAXIMUM_ATTEMPTS_REACHED');
    const failure = activity.cause as ApplicationFailure;
    expect(failure.type).toBe('SandboxCommandFailed');
    expect(failure.nonRetryable).toBe(false);
    const details = failure.details?.[0] as CommandFailureDetails;
    expect(details.exitCode).toBe(22);
    expect(details.stderrTail).toContain('503');
    expect(details.denied).toEqual([]);
    expect(details.command[0]).toBe('/bin/sh');
    expect(index.hits.filter((h) => h.includes(PACKAGE_PATH))).toHaveLength(2);
  } finally {
    await index.close();
  }
});
