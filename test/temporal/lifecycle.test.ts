// Ending runs through Temporal: a cancelled workflow ends its sandboxed process tree; a worker
// killed with SIGKILL mid-run leaves no process behind and the run completes on another worker;
// worker.ts starts, serves, and shuts down cleanly on SIGTERM.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import type { RunResult } from '../../workflows';
import { processesWith, uniqueMarker } from '../support/processes';
import { REPO, RESOLVE_STATIC } from './env';
import { connectClient, eventually, killChildren, serverAddress, spawnReady, startWorker, trackChild, uniqueName, type TestClient } from './helpers';

let tc: TestClient;
let dir: string;

beforeAll(async () => {
  tc = await connectClient();
  // The runs read a flag file here: readable by their own users, and allowed by the workers.
  dir = mkdtempSync(path.join(realpathSync(tmpdir()), 'sbx-lifecycle-'));
  chmodSync(dir, 0o755);
});

afterAll(async () => {
  killChildren();
  await tc?.close();
  rmSync(dir, { recursive: true, force: true });
});


test('cancelling the workflow ends the sandboxed process (no process with the marker is left)', async () => {
  const worker = await startWorker();
  try {
    const marker = uniqueMarker();
    const handle = await tc.client.workflow.start('sandboxedCommand', {
      taskQueue: worker.taskQueue,
      workflowId: uniqueName('cancel'),
      // The session defaults (heartbeatTimeout 30 s): the plugin keeps the heartbeats, which
      // carry cancellation to the activity, frequent anyway.
      args: [{ command: ['sleep', marker] }],
    });
    await eventually(() => (processesWith(marker).length > 0 ? true : undefined), 'the sandboxed sleep to start');
    const cancelledAt = Date.now();
    await handle.cancel();
    const error = await handle.result().catch((err) => err);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect(error.cause).toBeInstanceOf(CancelledFailure);
    expect(processesWith(marker)).toEqual([]);
    expect(Date.now() - cancelledAt).toBeLessThan(6_000);

    const history = await handle.fetchHistory();
    expect(history.events!.some((e) => e.activityTaskCanceledEventAttributes)).toBe(true);
  } finally {
    await worker.stop();
  }
});

test('a worker killed with SIGKILL mid-run leaves no sandboxed process, and the run completes on a second worker', async () => {
  // Workflows run here; the activity runs in child processes that we can kill.
  const workflows = await startWorker({ activities: false });
  try {
    const env = {
      TEMPORAL_ADDRESS: serverAddress().address, TEMPORAL_NAMESPACE: serverAddress().namespace, TEMPORAL_TASK_QUEUE: workflows.taskQueue,
      SANDBOX_WORKER_CEILING: JSON.stringify({ allowedPaths: [dir] }),
    };
    const childScript = path.join(REPO, 'dist', 'test', 'temporal', 'worker-child.js');
    const first = await spawnReady(childScript, env);

    const marker = uniqueMarker();
    const flag = path.join(dir, `second-${marker}`);
    const handle = await tc.client.workflow.start('sandboxedCommand', {
      taskQueue: workflows.taskQueue,
      workflowId: uniqueName('sigkill'),
      args: [{
        session: { heartbeatTimeout: '2s', retry: { initialInterval: '100ms' }, readOnlyPaths: [dir] },
        // The first attempt sleeps; once the flag exists, an attempt completes at once.
        command: ['/bin/sh', '-c', `if [ -e "$1" ]; then echo "second attempt"; else exec sleep ${marker}; fi`, 'sh', flag],
      }],
    });
    await eventually(() => (processesWith(marker).length > 0 ? true : undefined), 'the sandboxed sleep to start');

    first.child.kill('SIGKILL');
    await first.exited;
    await eventually(() => (processesWith(marker).length === 0 ? true : undefined), 'the orphaned sandbox to die with its worker', 5_000);

    writeFileSync(flag, '');
    const second = await spawnReady(childScript, env);
    const result: RunResult = await handle.result();
    expect(result.stdout).toBe('second attempt\n');

    const history = await handle.fetchHistory();
    const started = history.events!.filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!);
    expect(started).toHaveLength(1);
    expect(started[0].attempt).toBe(2);
    // The first attempt's end, as the server recorded it: a heartbeat timeout.
    expect(started[0].lastFailure?.timeoutFailureInfo).toBeTruthy();
    expect(processesWith(marker)).toEqual([]);

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  } finally {
    await workflows.stop();
  }
});

test('worker.ts serves the example workflows and, on SIGTERM, ends a running command and exits 0', async () => {
  const taskQueue = uniqueName('worker-ts');
  const worker = spawnNodeWorker(taskQueue);
  const ok: RunResult = await tc.client.workflow.execute('sandboxedCommand', {
    taskQueue,
    workflowId: uniqueName('worker-ts-ok'),
    workflowExecutionTimeout: '60s',
    args: [{ command: 'echo from worker.ts' }],
  });
  expect(ok.stdout).toBe('from worker.ts\n');

  const marker = uniqueMarker();
  const handle = await tc.client.workflow.start('sandboxedCommand', {
    taskQueue,
    workflowId: uniqueName('worker-ts-sleep'),
    args: [{ session: { heartbeatTimeout: '2s' }, command: ['sleep', marker] }],
  });
  try {
    await eventually(() => (processesWith(marker).length > 0 ? true : undefined), 'the sandboxed sleep to start');
    worker.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([worker.exited, new Promise((r) => (timer = setTimeout(() => r('still running'), 20_000)))]);
    clearTimeout(timer);
    expect(code).toBe(0);
    expect(processesWith(marker)).toEqual([]);
  } finally {
    await handle.terminate('test over').catch(() => {});
  }
});

/** `node dist/worker.js` on its own task queue; the first workflow shows it is serving. */
function spawnNodeWorker(taskQueue: string) {
  const child = spawn(process.execPath, [path.join(REPO, 'dist', 'worker.js')], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: serverAddress().address,
      TEMPORAL_NAMESPACE: serverAddress().namespace,
      TEMPORAL_TASK_QUEUE: taskQueue,
      SANDBOX_RESOLVE: Object.entries(RESOLVE_STATIC).map(([n, a]) => `${n}=${a}`).join(','),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  trackChild(child);
  let stderr = '';
  child.stderr!.on('data', (c) => (stderr = (stderr + c).slice(-4000)));
  child.on('exit', (code) => {
    if (code !== 0) process.stderr.write(`worker.ts exited ${code}: ${stderr}\n`);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited };
}
