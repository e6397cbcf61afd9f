// Sessions through a real server: the three-step example with a real venv and pip install, files
// in and out, and the session's work dir gone once it is closed.
import { readdirSync } from 'node:fs';
import { buildWheel, startPythonIndex, type PythonIndex } from '../../fixtures/python-index';
import { workRoot } from '../../sandbox/contain/work-root';
import { PKG_HOST } from './env';
import { connectClient, startWorker, uniqueName, type TestClient, type TestWorker } from './helpers';
import type { PythonToolResult } from './workflows';

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

/** Every session work dir on this host, in every process's life directory. */
function sessionDirs(): string[] {
  return readdirSync(workRoot()).filter((d) => d.startsWith('life-')).flatMap((life) => readdirSync(`${workRoot()}/${life}`).filter((d) => d.startsWith('session-')));
}

test('venv, then pip install through the allowlist, then a blocked run importing it; a file in, a file out; the work dir removed', async () => {
  const result: PythonToolResult = await tc.client.workflow.execute('pythonTool', {
    taskQueue: worker.taskQueue,
    workflowId: uniqueName('python-tool'),
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
}, 120_000);
