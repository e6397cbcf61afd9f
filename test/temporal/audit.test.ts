// `temporal-sandbox audit` on real histories: read from the server, and from a JSON export made
// by the Temporal CLI itself (`temporal workflow show --output json`).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { temporalCli } from '../../fixtures/dev-server';
import { startPackageIndex, type PackageIndex } from '../../fixtures/package-index';
import { runCli } from '../support/cli';
import { processesWith, uniqueMarker } from '../support/processes';
import { EVIL_HOST, PKG_HOST } from './env';
import { connectClient, eventually, serverAddress, startWorker, uniqueName, type TestClient, type TestWorker } from './helpers';

let tc: TestClient;
let worker: TestWorker;
let index: PackageIndex;
let dir: string;
let installId: string;
let posturesId: string;

beforeAll(async () => {
  tc = await connectClient();
  worker = await startWorker();
  index = await startPackageIndex({ failFirst: 1 });
  dir = mkdtempSync(path.join(tmpdir(), 'sbx-audit-'));
  installId = uniqueName('audit-install');
  posturesId = uniqueName('audit-postures');
  const allow = [`${PKG_HOST}:${index.port}`, `127.0.0.1:${index.port}`];
  await Promise.all([
    tc.client.workflow.execute('installPackage', {
      taskQueue: worker.taskQueue,
      workflowId: installId,
      args: [{ url: index.packageUrl(PKG_HOST), allow, retryInitialInterval: '100ms' }],
    }),
    tc.client.workflow.execute('networkPostures', {
      taskQueue: worker.taskQueue,
      workflowId: posturesId,
      args: [{ urls: [`http://${PKG_HOST}:${index.port}/`, `http://${EVIL_HOST}:${index.port}/`], allow, deny: [EVIL_HOST] }],
    }),
  ]);
});

afterAll(async () => {
  await worker?.stop();
  await tc?.close();
  await index?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const env = () => ({ ...process.env, TEMPORAL_ADDRESS: serverAddress().address, TEMPORAL_NAMESPACE: serverAddress().namespace });

test('from the server: a table of the runs (with the retried attempt) and of the refused connections', async () => {
  const out = await runCli(['audit', installId, '--address', serverAddress().address], { env: env() });
  expect(out.stderr).toBe('');
  expect(out.code).toBe(0);
  const lines = out.stdout.split('\n');
  expect(lines[0]).toBe(`workflow ${installId}: 2 sandboxed runs`);
  expect(lines[1]).toMatch(/^ACTIVITY\s+ATTEMPT\s+OUTCOME\s+POSTURE\s+EXIT\s+DURATION\s+REFUSED\s+COMMAND$/);
  expect(lines[2]).toMatch(/^1\s+1\s+SandboxCommandFailed\s+allowlist\s+22\s+\d+ ms\s+0\s+\/bin\/sh -c /);
  expect(lines[3]).toMatch(/^1\s+2\s+completed\s+allowlist\s+0\s+\d+ ms\s+0\s+\/bin\/sh -c .*pkgs\.example\.test/);
  expect(out.stdout).toContain('refused connections: none');

  const postures = await runCli(['audit', posturesId], { env: env() });
  expect(postures.code).toBe(0);
  expect(postures.stdout).toMatch(/^1\s+1\s+completed\s+blocked\s/m);
  expect(postures.stdout).toMatch(/^2\s+1\s+completed\s+allowlist\s/m);
  expect(postures.stdout).toMatch(/^3\s+1\s+completed\s+open\s/m);
  expect(postures.stdout).toContain('refused connections: 2');
  expect(postures.stdout).toMatch(new RegExp(`^2\\s+1\\s+${EVIL_HOST.replace(/\./g, '\\.')}\\s+${index.port}\\s+denylisted\\s+${EVIL_HOST.replace(/\./g, '\\.')}\\s+http\\s`, 'm'));
  expect(postures.stdout).toMatch(new RegExp(`^3\\s+1\\s+${EVIL_HOST.replace(/\./g, '\\.')}\\s+${index.port}\\s+denylisted\\s`, 'm'));
});

test('from a JSON export written by `temporal workflow show`: the same report as from the server', async () => {
  const file = path.join(dir, 'postures.json');
  const exported = execFileSync(temporalCli(), [
    'workflow', 'show', '--workflow-id', posturesId, '--output', 'json',
    '--address', serverAddress().address, '--namespace', serverAddress().namespace,
  ], { encoding: 'utf8' });
  writeFileSync(file, exported);

  const fromFile = await runCli(['audit', posturesId, '--history', file, '--json'], { env: env() });
  expect({ code: fromFile.code, stderr: fromFile.stderr }).toEqual({ code: 0, stderr: '' });
  const fromServer = await runCli(['audit', posturesId, '--json'], { env: env() });
  expect({ code: fromServer.code, stderr: fromServer.stderr }).toEqual({ code: 0, stderr: '' });
  expect(JSON.parse(fromFile.stdout)).toEqual(JSON.parse(fromServer.stdout));
  const report = JSON.parse(fromFile.stdout);
  expect(report.workflowId).toBe(posturesId);
  expect(report.runs.map((r: { posture: string }) => r.posture)).toEqual(['blocked', 'allowlist', 'open']);
  expect(report.refused).toEqual([
    expect.objectContaining({ activityId: '2', attempt: 1, host: EVIL_HOST, port: index.port, reason: 'denylisted', rule: EVIL_HOST }),
    expect.objectContaining({ activityId: '3', attempt: 1, host: EVIL_HOST, port: index.port, reason: 'denylisted', rule: EVIL_HOST }),
  ]);

  // Without the id, the file names its workflow; with another id, it is refused.
  const noId = await runCli(['audit', '--history', file], { env: env() });
  expect({ code: noId.code, stderr: noId.stderr }).toEqual({ code: 0, stderr: '' });
  expect(noId.stdout).toContain(`workflow ${posturesId}: 3 sandboxed runs`);
  const wrongId = await runCli(['audit', 'some-other-id', '--history', file], { env: env() });
  expect(wrongId.code).toBe(125);
  expect(wrongId.stderr).toContain(`holds the history of workflow ${posturesId}, not some-other-id`);
});

test('a missing workflow or an unreadable file: exit 125 with one line', async () => {
  const missing = await runCli(['audit', uniqueName('no-such-workflow')], { env: env() });
  expect(missing.code).toBe(125);
  expect(missing.stdout).toBe('');
  expect(missing.stderr).toMatch(/^temporal-sandbox audit: workflow no-such-workflow-\w+ not found in namespace default at [\d.:]+\n$/);

  const unreadable = await runCli(['audit', 'x', '--history', path.join(dir, 'nope.json')], { env: env() });
  expect(unreadable.code).toBe(125);
  expect(unreadable.stderr).toMatch(/^temporal-sandbox audit: cannot read .*nope\.json: ENOENT\n$/);

  const garbage = path.join(dir, 'garbage.json');
  writeFileSync(garbage, 'not json');
  const notJson = await runCli(['audit', 'x', '--history', garbage], { env: env() });
  expect(notJson.code).toBe(125);
  expect(notJson.stderr.split('\n')).toHaveLength(2);
});

test('a workflow still running: its run shows with the attempt and the progress it heartbeats', async () => {
  const marker = uniqueMarker();
  const handle = await tc.client.workflow.start('sandboxedCommand', {
    taskQueue: worker.taskQueue,
    workflowId: uniqueName('audit-running'),
    args: [{ session: { heartbeatTimeout: '2s' }, command: `echo step-one; echo warning >&2; exec sleep ${marker}` }],
  });
  try {
    await eventually(async () => {
      const d = await handle.describe();
      return d.raw.pendingActivities?.[0]?.heartbeatDetails ? true : undefined;
    }, 'a heartbeat to reach the server');
    const out = await runCli(['audit', handle.workflowId, '--json'], { env: env() });
    expect(out.code).toBe(0);
    const report = JSON.parse(out.stdout);
    expect(report.runs).toEqual([
      expect.objectContaining({
        activityId: '1',
        attempt: 1,
        outcome: 'running',
        posture: 'blocked',
        progress: { elapsedMs: expect.any(Number), stdoutBytes: 9, stderrBytes: 8, lastLine: 'warning' },
      }),
    ]);
    const table = await runCli(['audit', handle.workflowId], { env: env() });
    expect(table.stdout).toMatch(/^1\s+1\s+running \(\d+ s\)\s+blocked\s+-\s+-\s+0\s+\/bin\/sh -c /m);
  } finally {
    await handle.cancel();
    await handle.result().catch(() => {});
  }
  expect(processesWith(marker)).toEqual([]);
});

test('a recorded session history: the CLI shows its runs in order with their postures, each with its session, and the files in and out', async () => {
  const file = path.join(__dirname, '..', '..', '..', 'test', 'temporal', 'histories', 'python-tool.json');
  const text = await runCli(['audit', '--history', file], { env: env() });
  expect({ code: text.code, stderr: text.stderr }).toEqual({ code: 0, stderr: '' });
  const lines = text.stdout.split('\n');
  expect(lines[1]).toMatch(/^ACTIVITY +ATTEMPT +SESSION +OUTCOME +POSTURE/);
  expect(lines.slice(2, 5).map((l) => l.split(/ +/).slice(3, 5))).toEqual([['completed', 'blocked'], ['completed', 'allowlist'], ['completed', 'blocked']]);
  expect(text.stdout).toMatch(/session [0-9a-f]{8} on \S+: 3 runs; put tool\.py \(\d+ B\), input\.txt \(7 B\); got output\.txt \(\d+ B\); closed/);
  const json = await runCli(['audit', '--history', file, '--json'], { env: env() });
  const report = JSON.parse(json.stdout);
  expect(report.sessions).toHaveLength(1);
  expect(report.runs.every((r: { session: string }) => r.session === report.sessions[0].sessionId)).toBe(true);
});

test('audit --suggest-allowlist learns the allowlist from the recorded runs of a workflow', async () => {
  const file = path.join(__dirname, '..', '..', '..', 'test', 'temporal', 'histories', 'python-tool.json');
  const text = await runCli(['audit', '--history', file, '--suggest-allowlist'], { env: env() });
  expect({ code: text.code, stderr: text.stderr }).toEqual({ code: 0, stderr: '' });
  const lines = text.stdout.trim().split('\n');
  expect(lines[0]).toBe('# from 3 recorded runs, 2 allowed connections');
  expect(lines[1]).toMatch(/^--allow pkgs\.example\.test:\d+$/);
  expect(lines[2]).toContain('pkgs.example.test resolved to 127.0.0.1, an internal address');
  const json = JSON.parse((await runCli(['audit', '--history', file, '--suggest-allowlist', '--json'], { env: env() })).stdout);
  expect(json.entries).toEqual([expect.stringMatching(/^pkgs\.example\.test:\d+$/)]);
  expect(json.flags).toBe(lines[1]);
});
