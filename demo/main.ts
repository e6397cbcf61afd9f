// The demo (`npm run demo` -> scripts/demo.sh -> here): a Temporal dev server (or the one at
// TEMPORAL_ADDRESS), a worker with the sandbox plugin, a flaky package index and a Python package
// index on loopback, three example workflows (a retried install, the postures, a session with a
// real pip install), their results, and the audit of each read back from history. Results go to
// stdout, progress to stderr. Ctrl-C ends everything it started.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { SandboxPlugin } from '../activities';
import { auditHistory } from '../audit/report';
import { formatAudit } from '../cli/audit-format';
import type { PostureStep } from '../examples/workflows';
import type { RunResult } from '../workflows';
import { useOrStartServer, type TemporalServer } from '../fixtures/dev-server';
import { startPackageIndex, type PackageIndex } from '../fixtures/package-index';
import { installQuietRuntime } from '../fixtures/quiet-runtime';
import type { PythonIndex } from '../fixtures/python-index';
import { runPythonTool, startIndex, WHEEL } from './python-tool';

const PKG = 'pkgs.example.test';
const EVIL = 'evil.example.test';
const FAIL_FIRST = 2;

const progress = (line: string) => process.stderr.write(`demo: ${line}\n`);
const out = (line = '') => process.stdout.write(`${line}\n`);

type Started = {
  server?: TemporalServer;
  index?: PackageIndex;
  pythonIndex?: PythonIndex;
  worker?: Worker;
  running?: Promise<void>;
  native?: NativeConnection;
  connection?: Connection;
};

async function demo(s: Started): Promise<void> {
  // Signals are ours (cleanup below), not the SDK's default worker shutdown. Logs at ERROR only:
  // the failed attempts are expected, and the audit below shows them.
  installQuietRuntime({ handleSignals: false });
  s.server = await useOrStartServer({ log: progress });
  s.index = await startPackageIndex({ failFirst: FAIL_FIRST });
  progress(`package index on 127.0.0.1:${s.index.port} (as ${PKG}; it answers 503 to the first ${FAIL_FIRST} downloads)`);
  s.pythonIndex = await startIndex();
  progress(`Python package index on 127.0.0.1:${s.pythonIndex.port} (as ${PKG}, serving ${WHEEL.filename})`);

  const taskQueue = `sandbox-demo-${process.pid}`;
  s.native = await NativeConnection.connect({ address: s.server.address });
  s.worker = await Worker.create({
    connection: s.native,
    namespace: s.server.namespace,
    taskQueue,
    workflowsPath: require.resolve('../examples/workflows'),
    // Names resolve statically to loopback: nothing in the demo leaves this machine.
    plugins: [new SandboxPlugin({ resolveStatic: { [PKG]: '127.0.0.1', [EVIL]: '127.0.0.1' } })],
  });
  s.running = s.worker.run();
  progress(`worker polling task queue ${taskQueue}`);
  s.connection = await Connection.connect({ address: s.server.address });
  const client = new Client({ connection: s.connection, namespace: s.server.namespace });

  const allow = [`${PKG}:${s.index.port}`, `127.0.0.1:${s.index.port}`];
  const suffix = `${Date.now()}`;

  progress('running installPackage');
  const installId = `demo-install-${suffix}`;
  const url = s.index.packageUrl(PKG);
  const installed: RunResult = await client.workflow.execute('installPackage', {
    taskQueue,
    workflowId: installId,
    args: [{ url, allow, retryInitialInterval: '500ms' }],
  });
  out(`== 1. installPackage (workflow ${installId}) ==`);
  out(`session: allowlist ${JSON.stringify(allow)}; the index failed the first ${FAIL_FIRST} downloads, Temporal retried`);
  out(`result: ${installed.stdout.trim()} (exit ${installed.exitCode}, ${Math.round(installed.durationMs)} ms; the audit below shows the attempts)`);
  for (const a of installed.allowed) out(`  allowed: ${a.host}:${a.port} -> ${a.address} (rule ${a.rule ?? '-'})`);
  out();

  progress('running networkPostures');
  const posturesId = `demo-postures-${suffix}`;
  const urls = [`http://${PKG}:${s.index.port}/`, `http://${EVIL}:${s.index.port}/`, 'http://169.254.169.254/latest/meta-data/'];
  const steps: PostureStep[] = await client.workflow.execute('networkPostures', {
    taskQueue,
    workflowId: posturesId,
    args: [{ urls, allow, deny: [EVIL] }],
  });
  out(`== 2. networkPostures (workflow ${posturesId}) ==`);
  out(`session: open, denylist @cloud-metadata + ${EVIL}, allowlist ${JSON.stringify(allow)}; each run narrows it`);
  for (const { posture, result } of steps) {
    out(`${posture}:`);
    for (const line of result.stdout.trim().split('\n')) out(`  ${line}`);
    if (result.denied.length === 0) out('  refused by the proxies: none');
    for (const d of result.denied) out(`  refused: ${d.message} [${d.reason}${d.rule ? `, rule ${d.rule}` : ''}]`);
    out(`  (${result.policy.notes[0]})`);
  }
  out();

  progress('running pythonTool');
  const toolId = `demo-python-tool-${suffix}`;
  await runPythonTool(client, taskQueue, toolId, PKG, s.pythonIndex, out);

  out('== 4. Audit, read back from history (temporal-sandbox audit WORKFLOW_ID) ==');
  for (const id of [installId, posturesId, toolId]) {
    const history = await client.workflow.getHandle(id).fetchHistory();
    out(formatAudit(auditHistory(history, id)));
  }
  if (!s.server.owned) out(`(re-run the audit any time: temporal-sandbox audit ${installId} --address ${s.server.address})`);
}

/** Ends what was started, in reverse; each step bounded so Ctrl-C never hangs. */
async function cleanup(s: Started): Promise<void> {
  const bounded = (p: Promise<unknown> | undefined, ms: number) =>
    Promise.race([Promise.resolve(p).catch(() => {}), new Promise((r) => setTimeout(r, ms).unref())]);
  if (s.worker && s.worker.getState() === 'RUNNING') s.worker.shutdown(); // cancels running commands
  await bounded(s.running, 15_000);
  await bounded(s.connection?.close(), 2_000);
  await bounded(s.native?.close(), 2_000);
  await bounded(s.index?.close(), 2_000);
  await bounded(s.pythonIndex?.close(), 2_000);
  if (s.server?.owned) progress('stopping the Temporal dev server');
  await bounded(s.server?.stop(), 10_000);
}

function main(): void {
  const started: Started = {};
  let ending = false;
  const end = (code: number) => {
    if (ending) return;
    ending = true;
    cleanup(started).finally(() => process.exit(code));
  };
  process.on('SIGINT', () => {
    progress('interrupted; shutting down');
    end(130);
  });
  process.on('SIGTERM', () => end(143));
  demo(started).then(
    () => {
      progress('done');
      end(0);
    },
    (err) => {
      if (ending) return; // interrupted: what failed was cut off by the cleanup
      progress(`failed: ${err?.stack ?? err}`);
      end(1);
    },
  );
}

main();
