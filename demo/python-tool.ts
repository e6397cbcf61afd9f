// The demo's session step: the pythonTool example on a real Python package index served here on
// loopback. A venv, a pip install through the allowlist proxy, then a run with no network at all
// that imports what was installed, with its input put in and its output taken out.
import type { Client } from '@temporalio/client';
import type { PythonToolResult } from '../examples/workflows';
import { buildWheel, startPythonIndex, type PythonIndex } from '../fixtures/python-index';

export const WHEEL = buildWheel('greeting', '2.0', 'def hello(name):\n    return "hello, " + name + ", from an installed package"\n');

/**
 * What the tool does with what was installed, offline: it reads input.txt, writes output.txt, and
 * tries the package index that the install used, which this run's namespace cannot reach.
 */
function script(port: number): string {
  return [
    'import greeting, socket',
    'name = open("input.txt").read().strip()',
    'open("output.txt", "w").write(greeting.hello(name) + "\\n")',
    'try:',
    `    socket.create_connection(("127.0.0.1", ${port}), timeout=2)`,
    '    print("the package index: reachable")',
    'except OSError as e:',
    '    print("the package index: unreachable (" + e.strerror + ")")',
  ].join('\n');
}

export function startIndex(): Promise<PythonIndex> {
  return startPythonIndex([WHEEL]);
}

export async function runPythonTool(client: Client, taskQueue: string, workflowId: string, host: string, index: PythonIndex, out: (line?: string) => void): Promise<void> {
  const allow = [`${host}:${index.port}`, `127.0.0.1:${index.port}`];
  const result: PythonToolResult = await client.workflow.execute('pythonTool', {
    taskQueue,
    workflowId,
    args: [
      {
        allow,
        // pip takes a plain-HTTP index only from a trusted host.
        install: ['--trusted-host', host, '--index-url', `http://${host}:${index.port}/simple/`, WHEEL.name],
        script: script(index.port),
        input: 'temporal\n',
      },
    ],
  });
  out(`== 3. pythonTool: a session on one worker (workflow ${workflowId}) ==`);
  out(`session: allowlist ${JSON.stringify(allow)}; one work dir at /workspace for all its runs`);
  const [venv, install, tool] = result.runs;
  out(`run 1 (${venv.posture}):   python3 -m venv .venv -> exit ${venv.exitCode}`);
  out(`run 2 (${install.posture}): pip install ${WHEEL.name} from the index, through the proxy -> exit ${install.exitCode}: ${result.installed}`);
  out('putFile tool.py, putFile input.txt');
  out(`run 3 (${tool.posture}):   .venv/bin/python tool.py -> exit ${tool.exitCode}: ${result.toolStdout.trim()}`);
  out(`getFile output.txt: ${result.output.trim()}`);
  out('(the session is closed: its work dir is gone)');
  out();
}
