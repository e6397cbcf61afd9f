// Sessions through a real server: the three-step example with a real venv and pip install, files
// in and out, and the session's work dir gone once it is closed.
import { existsSync, readdirSync } from 'node:fs';
import { auditHistory } from '../../audit/report';
import { formatAudit } from '../../cli/audit-format';
import { buildWheel, startPythonIndex, type PythonIndex } from '../../fixtures/python-index';
import { lifeDir } from '../../sandbox/contain/work-root';
import { PKG_HOST } from './env';
import { processesWith } from '../support/processes';
import { runCli } from '../support/cli';
import { connectClient, eventually, serverAddress, startWorker, uniqueName, type TestClient, type TestWorker } from './helpers';
import type { PythonToolResult, SessionStepsResult } from './workflows';

let tc: TestClient;
let worker: TestWorker;
let index: PythonIndex;

beforeAll(async () => {
  tc = await connectClient();
  worker = await startWorker();
  index = await startPythonIndex([buildWheel('greeting', '2.0', 'def hello(name):\n    return "hello, " + name\n')]);
});

afterAll(async () => {
  await index?.close();
  await worker?.stop();
  await tc?.close();
});

/** The session work dirs of this process (its workers run here); other processes' are theirs. */
function sessionDirs(): string[] {
  return readdirSync(lifeDir()).filter((d) => d.startsWith('session-'));
}

test('venv, then pip install through the allowlist, then a blocked run importing it; a file in, a file out; the work dir removed; the audit shows it in order', async () => {
  const workflowId = uniqueName('python-tool');
  const result: PythonToolResult = await tc.client.workflow.execute('pythonTool', {
    taskQueue: worker.taskQueue,
    workflowId,
    args: [
      {
        allow: [`${PKG_HOST}:${index.port}`, `127.0.0.1:${index.port}`],
        install: ['--trusted-host', PKG_HOST, '--index-url', `http://${PKG_HOST}:${index.port}/simple/`, 'greeting'],
        script: 'import greeting\nname = open("input.txt").read().strip()\nopen("output.txt", "w").write(greeting.hello(name) + "\\n")\nprint("done")\n',
        input: 'temporal\n',
      },
    ],
  });
  expect(result).toEqual({
    installed: 'Successfully installed greeting-2.0',
    toolStdout: 'done\n',
    output: 'hello, temporal\n',
    runs: [
      { posture: 'blocked', exitCode: 0 },
      { posture: 'allowlist', exitCode: 0 },
      { posture: 'blocked', exitCode: 0 },
    ],
  });
  expect(index.hits.some((h) => h.includes('/files/greeting-2.0-py3-none-any.whl'))).toBe(true);
  expect(sessionDirs()).toEqual([]);

  const report = auditHistory(await tc.client.workflow.getHandle(workflowId).fetchHistory());
  expect(report.sessions).toEqual([
    {
      sessionId: expect.stringMatching(/^[0-9a-f]{16}$/), worker: expect.any(String), taskQueue: expect.stringContaining('/sandbox-sessions/'),
      activityId: '1', runs: 3, closed: true,
      files: [
        { op: 'put', path: 'tool.py', bytes: expect.any(Number), ok: true, message: null },
        { op: 'put', path: 'input.txt', bytes: 9, ok: true, message: null },
        { op: 'get', path: 'output.txt', bytes: 16, ok: true, message: null },
      ],
    },
  ]);
  const sessionId = report.sessions[0].sessionId;
  expect(report.runs.map((r) => [r.posture, r.outcome, r.session])).toEqual([
    ['blocked', 'completed', sessionId], ['allowlist', 'completed', sessionId], ['blocked', 'completed', sessionId],
  ]);
  const text = formatAudit(report);
  expect(text).toMatch(/ACTIVITY +ATTEMPT +SESSION +OUTCOME +POSTURE/);
  expect(text).toContain(`session ${sessionId.slice(0, 8)} on ${report.sessions[0].worker}: 3 runs; put tool.py (`);
  expect(text).toContain('input.txt (9 B); got output.txt (16 B); closed');
}, 120_000);

describe('affinity: two workers on one task queue', () => {
  let a: TestWorker;
  let b: TestWorker;
  const COUNT = 16;

  beforeAll(async () => {
    const taskQueue = uniqueName('two-workers');
    // maxSessions 8 each: 16 sessions at once must fill both, so each worker holds 8.
    a = await startWorker({ taskQueue, plugin: { maxSessions: COUNT / 2 }, worker: { identity: 'worker-a' } });
    b = await startWorker({ taskQueue, plugin: { maxSessions: COUNT / 2 }, worker: { identity: 'worker-b' } });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });

  test(`${COUNT} sessions at once: every call lands on the worker that opened it, and no session sees another's files`, async () => {
    const results: SessionStepsResult[] = await tc.client.workflow.execute('parallelSessions', {
      taskQueue: a.taskQueue,
      workflowId: uniqueName('affinity'),
      args: [
        {
          count: COUNT,
          options: { networkMode: 'blocked', startToCloseTimeout: '1 minute' },
          steps: [
            { put: 'mine.txt', data: { text: 'put by the workflow\n' } },
            // Appends, lists the parent of the work dir and every other session's work dir:
            // only its own is in its view.
            { run: 'cat mine.txt && echo "appended by run 1" >> mine.txt && ls -a /workspace/.. | tr "\\n" " "' },
            { run: 'cat mine.txt && echo "appended by run 2" >> mine.txt' },
            { get: 'mine.txt' },
          ],
        },
      ],
    });
    expect(results).toHaveLength(COUNT);
    const byWorker = new Map<string, number>();
    for (const r of results) byWorker.set(r.worker, (byWorker.get(r.worker) ?? 0) + 1);
    expect(Object.fromEntries(byWorker)).toEqual({ 'worker-a': COUNT / 2, 'worker-b': COUNT / 2 });
    expect(new Set(results.map((r) => r.sessionId)).size).toBe(COUNT);
    for (const r of results) {
      expect(r.outcomes.map((o) => o.ok)).toEqual([true, true, true, true]);
      expect(r.taskQueue).toContain('/sandbox-sessions/');
      const [, run1, run2, got] = r.outcomes.map((o) => (o as { value: any }).value);
      const [firstLine, listing] = (run1.stdout as string).split('\n');
      expect(firstLine).toBe('put by the workflow');
      expect(run1.stderr).toBe('');
      expect(run1.workdir).toBe('/workspace');
      // The view's root holds the system, its own work dir, and nothing of other sessions.
      expect(listing.trim().split(' ')).toContain('workspace');
      expect(listing.split(' ').filter((n) => /^(temporal-sandbox|session-|life-)/.test(n))).toEqual([]);
      expect(run2.stdout).toBe('put by the workflow\nappended by run 1\n');
      expect(got.text).toBe('put by the workflow\nappended by run 1\nappended by run 2\n');
    }
    expect(sessionDirs()).toEqual([]);
  }, 120_000);
});

describe('files in and out', () => {
  const MiB = 1024 * 1024;
  const fnv = (bytes: Uint8Array) => {
    let h = 0x811c9dc5;
    for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
    return h;
  };

  test('binary, empty, at the size limit and one byte over', async () => {
    // Every byte moved lands in workflow history: this one holds about 4 MiB.
    const workflowId = uniqueName('file-sizes');
    const result: SessionStepsResult = await tc.client.workflow.execute('sessionSteps', {
      taskQueue: worker.taskQueue,
      workflowId,
      args: [
        {
          scoped: true,
          options: { networkMode: 'blocked', startToCloseTimeout: '1 minute' },
          steps: [
            { put: 'bin/all-bytes', data: { allBytes: true } },
            { get: '/workspace/bin/all-bytes' },
            { put: 'empty', data: { text: '' } },
            { get: 'empty' },
            { put: 'limit', data: { fill: 7, count: MiB } },
            { get: 'limit' },
            { put: 'over', data: { fill: 7, count: MiB + 1 } },
            { get: 'over' },
            { get: 'over', maxBytes: MiB + 1 },
            { run: 'wc -c < over && od -An -tx1 -N4 bin/all-bytes' },
          ],
        },
      ],
    });
    const o = result.outcomes;
    const got = (i: number) => (o[i] as { value: any }).value;
    expect(got(1)).toEqual({ bytes: 256, fnv: fnv(Uint8Array.from({ length: 256 }, (_, i) => i)), text: expect.any(String) });
    expect(got(3)).toEqual({ bytes: 0, fnv: fnv(new Uint8Array(0)), text: '' });
    expect(got(5)).toEqual({ bytes: MiB, fnv: fnv(new Uint8Array(MiB).fill(7)), text: null });
    expect(o[6].ok).toBe(true);
    expect((o[7] as { failure: unknown }).failure).toMatchObject({ type: 'SandboxInputError', message: expect.stringMatching(/1048577 bytes, more than maxBytes 1048576/) });
    expect(got(8)).toMatchObject({ bytes: MiB + 1 });
    expect(got(9).stdout).toBe('1048577\n 00 01 02 03\n');
    expect(sessionDirs()).toEqual([]);
    // A history this large is read back whole by the audit (past gRPC's default 4 MB pages).
    const { address, namespace } = serverAddress();
    const audit = await runCli(['audit', workflowId, '--address', address, '--namespace', namespace]);
    expect({ code: audit.code, stderr: audit.stderr }).toEqual({ code: 0, stderr: '' });
    expect(audit.stdout).toMatch(/put bin\/all-bytes \(256 B\), empty \(0 B\), limit \(1048576 B\), over \(1048577 B\)/);
  }, 120_000);

  test('what the command plants is never followed or read, and bad paths are refused in the workflow before anything is scheduled', async () => {
    const workflowId = uniqueName('file-rules');
    const result: SessionStepsResult = await tc.client.workflow.execute('sessionSteps', {
      taskQueue: worker.taskQueue,
      workflowId,
      args: [
        {
          scoped: true,
          options: { networkMode: 'blocked', startToCloseTimeout: '1 minute' },
          steps: [
            { run: 'ln -s /etc/passwd leak && ln -s /etc linkdir && mkfifo fifo && mkdir adir' },
            { get: 'leak' },
            { get: 'linkdir/passwd' },
            { get: 'fifo' },
            { get: 'adir' },
            { put: 'leak', data: { text: 'x' } },
            { put: 'linkdir/planted', data: { text: 'x' } },
            // Refused in the workflow, before anything is scheduled.
            { get: '../etc/passwd' },
            { get: '/etc/passwd' },
            { get: 'a//b' },
            { get: 'x', maxBytes: 64 * MiB },
            { put: 'x', data: { text: 'x' }, mode: 0o4755 },
            // On the worker again.
            { get: 'no-such-file' },
            { put: 'tool.sh', data: { text: '#!/bin/sh\necho ran\n' }, mode: 0o755 },
            { run: './tool.sh && stat -c %a tool.sh && readlink leak' },
          ],
        },
      ],
    });
    const o = result.outcomes;
    const refused = (i: number) => (o[i] as { failure: { type: string; message: string } }).failure;
    expect(o[0].ok).toBe(true);
    const expected: Array<[number, RegExp]> = [
      [1, /getFile leak: 'leak' is a symbolic link/],
      [2, /getFile linkdir\/passwd: 'linkdir' is a symbolic link/],
      [3, /not a regular file \(FIFO\)/],
      [4, /not a regular file \(directory\)/],
      [5, /putFile leak: there is a symbolic link there/],
      [6, /putFile linkdir\/planted: 'linkdir' is a symbolic link/],
      [7, /contains '\.\.'/],
      [8, /outside the work dir/],
      [9, /not canonical/],
      [10, /maxBytes 67108864 must be a whole number from 0 to/],
      [11, /no set-uid/],
      [12, /getFile no-such-file: no such file/],
    ];
    for (const [i, message] of expected) expect({ step: i, ...refused(i) }).toMatchObject({ step: i, type: 'SandboxInputError', message: expect.stringMatching(message) });
    expect((o[14] as { value: any }).value.stdout).toBe('ran\n755\n/etc/passwd\n');
    expect(existsSync('/etc/planted')).toBe(false);

    // The workflow's own refusals (5 of the 12 file calls) scheduled nothing.
    const history = await tc.client.workflow.getHandle(workflowId).fetchHistory();
    const scheduled = history.events!.filter((e) => e.activityTaskScheduledEventAttributes).map((e) => e.activityTaskScheduledEventAttributes!.activityType!.name);
    expect(scheduled).toEqual(['sandbox.openSession', 'sandbox.run', ...Array(6).fill(expect.stringMatching(/^sandbox\.(get|put)File$/)), 'sandbox.getFile', 'sandbox.putFile', 'sandbox.run', 'sandbox.closeSession']);
    expect(sessionDirs()).toEqual([]);
  }, 120_000);
});

describe('lifetime', () => {
  test('sessionTimeout: the worker ends the session, removes its work dir, and a later call is SandboxSessionLost', async () => {
    const result: SessionStepsResult = await tc.client.workflow.execute('sessionSteps', {
      taskQueue: worker.taskQueue,
      workflowId: uniqueName('timeout'),
      args: [{ options: { sessionTimeout: '2 seconds' }, steps: [{ run: 'true' }, { sleepMs: 3000 }, { run: 'true' }, { close: true }] }],
    });
    expect(result.outcomes.map((o) => o.ok)).toEqual([true, true, false, true]);
    expect((result.outcomes[2] as { failure: unknown }).failure).toMatchObject({
      type: 'SandboxSessionLost',
      message: expect.stringMatching(/ended when its sessionTimeout of 2 s passed: open a new session/),
      details: { sessionId: result.sessionId },
    });
    expect(sessionDirs()).toEqual([]);
  }, 60_000);

  test('a sessionTimeout over 24 hours is refused before anything is scheduled', async () => {
    const run = tc.client.workflow.execute('sessionSteps', {
      taskQueue: worker.taskQueue,
      workflowId: uniqueName('too-long'),
      args: [{ options: { sessionTimeout: '25 hours' }, steps: [] }],
    });
    await expect(run).rejects.toMatchObject({ cause: { type: 'SandboxInputError', message: expect.stringMatching(/at most 86400 s \(24 hours\)/) } });
  });

  test('cancelled inside withSandboxSession: the run in flight ends, the session is closed, nothing is left', async () => {
    const marker = uniqueName('cancel-marker');
    const workflowId = uniqueName('cancel');
    const handle = await tc.client.workflow.start('sessionSteps', {
      taskQueue: worker.taskQueue,
      workflowId,
      args: [{ scoped: true, options: {}, steps: [{ run: ['sh', '-c', `sleep 60; : ${marker}`] }] }],
    });
    await eventually(async () => (processesWith(marker).length > 0 ? true : undefined), 'the run to start', 20_000);
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow();
    const history = await handle.fetchHistory();
    const names = history.events!.filter((e) => e.activityTaskScheduledEventAttributes).map((e) => e.activityTaskScheduledEventAttributes!.activityType!.name);
    expect(names).toEqual(['sandbox.openSession', 'sandbox.run', 'sandbox.closeSession']);
    expect(history.events!.some((e) => e.activityTaskCanceledEventAttributes)).toBe(true);
    expect(processesWith(marker)).toEqual([]);
    expect(sessionDirs()).toEqual([]);
  }, 60_000);
});
