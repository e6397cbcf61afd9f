// A session whose worker dies: a worker (a child process, so that a SIGKILL can be aimed at it)
// is killed while a session is open; the session's next call fails as SandboxSessionLost within
// sessionLostTimeout, withSandboxSession's reopenOnLost opens it again on another worker, and the
// dead worker's work dirs are removed when a worker starts again on that host.
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { workRoot } from '../../sandbox/contain/work-root';
import { REPO } from './env';
import {
  connectClient, eventually, killChildren, serverAddress, spawnReady, startWorker, uniqueName, type ReadyChild, type TestClient, type TestWorker,
} from './helpers';
import type { SessionStepsResult } from './workflows';

const CHILD = path.join(REPO, 'dist', 'test', 'temporal', 'worker-child.js');
const LOST_AFTER_MS = 5_000;

let tc: TestClient;
let workflows: TestWorker;

beforeAll(async () => {
  tc = await connectClient();
  // Workflows run here; the session activities only in the child workers.
  workflows = await startWorker({ activities: false });
});

afterAll(async () => {
  killChildren();
  await workflows?.stop();
  await tc?.close();
});

function childWorker(): Promise<ReadyChild> {
  const { address, namespace } = serverAddress();
  return spawnReady(CHILD, { TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: namespace, TEMPORAL_TASK_QUEUE: workflows.taskQueue });
}

/** The life directory a worker process made for its work dirs (sandbox/contain/work-root.ts). */
function lifeDirOf(pid: number): string | undefined {
  const name = readdirSync(workRoot()).find((d) => d.startsWith(`life-${pid}-`));
  return name === undefined ? undefined : path.join(workRoot(), name);
}

async function completedRuns(handle: WorkflowHandle): Promise<number> {
  const history = await handle.fetchHistory();
  return history.events!.filter((e) => e.activityTaskCompletedEventAttributes).length;
}

test('SIGKILL while a session is open: the next call is SandboxSessionLost within sessionLostTimeout, and the next start removes the work dir', async () => {
  const first = await childWorker();
  const handle = await tc.client.workflow.start('sessionSteps', {
    taskQueue: workflows.taskQueue,
    workflowId: uniqueName('lost'),
    args: [{ options: { sessionLostTimeout: `${LOST_AFTER_MS} ms` }, steps: [{ run: 'echo kept > f' }, { wait: true }, { run: 'cat f' }, { close: true }] }],
  });
  await eventually(async () => ((await completedRuns(handle)) >= 2 ? true : undefined), 'the open and the first run'); // open + run
  const life = lifeDirOf(first.child.pid!)!;
  const sessionDir = readdirSync(life).find((d) => d.startsWith('session-'));
  expect(sessionDir).toBeDefined();

  first.child.kill('SIGKILL');
  await first.exited;
  const signalled = Date.now();
  await handle.signal('proceed');
  const result: SessionStepsResult = await handle.result();
  const waited = Date.now() - signalled;

  expect(result.outcomes.map((o) => o.ok)).toEqual([true, true, false, true]);
  expect((result.outcomes[2] as { failure: unknown }).failure).toMatchObject({
    type: 'SandboxSessionLost',
    nonRetryable: true,
    message: expect.stringMatching(/is lost: no worker took its call .* within sessionLostTimeout/),
    details: { sessionId: result.sessionId, taskQueue: result.taskQueue },
  });
  expect(waited).toBeGreaterThanOrEqual(LOST_AFTER_MS - 500);
  expect(waited).toBeLessThan(LOST_AFTER_MS + 4_000);
  // close() on a lost session returns at once: nothing was scheduled for it.
  const history = await handle.fetchHistory();
  const names = history.events!.filter((e) => e.activityTaskScheduledEventAttributes).map((e) => e.activityTaskScheduledEventAttributes!.activityType!.name);
  expect(names).toEqual(['sandbox.openSession', 'sandbox.run', 'sandbox.run']);

  // A worker that starts on this host removes what the dead one left (or another process that
  // uses the work root did it first: test/session has the reaper on its own).
  const second = await childWorker();
  await eventually(() => (existsSync(life) ? undefined : true), 'the dead worker\'s life directory to be reaped', 5_000);
  second.child.kill('SIGTERM');
  expect(await second.exited).toBe(0);
  expect(lifeDirOf(second.child.pid!)).toBeUndefined(); // a worker that stops removes its own
}, 90_000);

test('withSandboxSession reopenOnLost: the session is opened again on another worker and the steps repeated from the start', async () => {
  const first = await childWorker();
  const handle = await tc.client.workflow.start('sessionSteps', {
    taskQueue: workflows.taskQueue,
    workflowId: uniqueName('reopen'),
    args: [
      {
        scoped: true,
        stopOnFailure: true,
        options: { sessionLostTimeout: `${LOST_AFTER_MS} ms`, reopenOnLost: 1 },
        steps: [{ put: 'state', data: { text: 'set up\n' } }, { wait: true }, { run: 'cat state' }],
      },
    ],
  });
  await eventually(async () => ((await completedRuns(handle)) >= 2 ? true : undefined), 'the open and the put');
  first.child.kill('SIGKILL');
  await first.exited;
  const second = await childWorker();
  // Both waits: the lost attempt's, and the repeated one's.
  await handle.signal('proceed');
  await handle.signal('proceed');
  const result: SessionStepsResult = await handle.result();
  expect(result.outcomes.map((o) => o.ok)).toEqual([true, true, true]);
  expect((result.outcomes[2] as { value: any }).value.stdout).toBe('set up\n');
  const history = await handle.fetchHistory();
  const names = history.events!.filter((e) => e.activityTaskScheduledEventAttributes).map((e) => e.activityTaskScheduledEventAttributes!.activityType!.name);
  expect(names).toEqual([
    'sandbox.openSession', 'sandbox.putFile', 'sandbox.run', // the lost session: the run found no worker
    'sandbox.openSession', 'sandbox.putFile', 'sandbox.run', 'sandbox.closeSession',
  ]);
  second.child.kill('SIGTERM');
  await second.exited;
}, 90_000);
