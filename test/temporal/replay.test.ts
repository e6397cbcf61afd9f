// Replays the recorded histories of the example workflows (test/temporal/histories/*.json, made
// by scripts/record-histories.ts against a real server) with the current workflow code: a change
// that breaks determinism fails here, before it breaks running workflows.
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import { installQuietRuntime } from '../../fixtures/quiet-runtime';
import { BUNDLE_ENV, REPO, WORKFLOWS_PATH } from './env';

const DIR = path.join(REPO, 'test', 'temporal', 'histories');

function replayOptions(): ReplayWorkerOptions {
  const bundle = process.env[BUNDLE_ENV];
  return bundle ? { workflowBundle: { codePath: bundle } } : { workflowsPath: WORKFLOWS_PATH };
}

function load(file: string) {
  return historyFromJSON(JSON.parse(readFileSync(path.join(DIR, file), 'utf8')));
}

beforeAll(() => installQuietRuntime());

test('every recorded history replays without a determinism error', async () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
  expect(files).toEqual(expect.arrayContaining(['install-package.json', 'network-postures.json', 'python-tool.json', 'sandboxed-command.json']));
  const histories = files.map((file) => ({ workflowId: file, history: load(file) }));
  const results: Array<{ workflowId: string; error?: unknown }> = [];
  for await (const result of Worker.runReplayHistories(replayOptions(), histories)) results.push(result);
  expect(results.map((r) => [r.workflowId, r.error ? String(r.error) : 'ok'])).toEqual(files.map((f) => [f, 'ok']));
});

test('the replay does catch a change: the install history under different workflow code fails', async () => {
  const history = load('install-package.json');
  // Same inputs, other code: sandboxedCommand does not schedule what installPackage did.
  history.events![0].workflowExecutionStartedEventAttributes!.workflowType!.name = 'sandboxedCommand';
  await expect(Worker.runReplayHistory(replayOptions(), history, 'changed-code')).rejects.toThrow(/[Nn]ondetermin/);
});
