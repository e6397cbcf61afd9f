// Records the histories that test/temporal/replay.test.ts replays: each example workflow run
// for real (dev server, worker with the plugin, loopback package index), its history written as
// JSON to test/temporal/histories/. Run it again after an intended change to the workflows:
//   npx tsc -p . && node dist/scripts/record-histories.js [NAME...]   (default: every one)
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { NativeConnection, Worker } from '@temporalio/worker';
import { SandboxPlugin } from '../activities';
import { useOrStartServer } from '../fixtures/dev-server';
import { startPackageIndex } from '../fixtures/package-index';
import { installQuietRuntime } from '../fixtures/quiet-runtime';
import { startIndex, WHEEL } from '../demo/python-tool';

const REPO = path.resolve(__dirname, '..', '..');
const OUT = path.join(REPO, 'test', 'temporal', 'histories');
const PKG = 'pkgs.example.test';
const EVIL = 'evil.example.test';

async function main(): Promise<void> {
  const log = (line: string) => process.stderr.write(`record-histories: ${line}\n`);
  installQuietRuntime();
  const server = await useOrStartServer({ log });
  const index = await startPackageIndex({ failFirst: 2 });
  const pythonIndex = await startIndex();
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  try {
    const client = new Client({ connection, namespace: server.namespace });
    const taskQueue = `record-histories-${process.pid}`;
    const worker = await Worker.create({
      connection: nativeConnection,
      namespace: server.namespace,
      taskQueue,
      workflowsPath: require.resolve('../examples/workflows'),
      plugins: [new SandboxPlugin({ resolveStatic: { [PKG]: '127.0.0.1', [EVIL]: '127.0.0.1' } })],
    });
    const allow = [`${PKG}:${index.port}`, `127.0.0.1:${index.port}`];
    const runs: Array<{ name: string; type: string; args: unknown[]; fails?: boolean }> = [
      { name: 'install-package', type: 'installPackage', args: [{ url: index.packageUrl(PKG), allow, retryInitialInterval: '100ms' }] },
      {
        name: 'network-postures',
        type: 'networkPostures',
        args: [{ urls: [`http://${PKG}:${index.port}/`, `http://${EVIL}:${index.port}/`, 'http://169.254.169.254/latest/meta-data/'], allow, deny: [EVIL] }],
      },
      { name: 'sandboxed-command', type: 'sandboxedCommand', args: [{ command: 'echo hello from the sandbox' }] },
      {
        name: 'python-tool',
        type: 'pythonTool',
        args: [{
          allow: [`${PKG}:${pythonIndex.port}`, `127.0.0.1:${pythonIndex.port}`],
          install: ['--trusted-host', PKG, '--index-url', `http://${PKG}:${pythonIndex.port}/simple/`, WHEEL.name],
          script: 'import greeting\nopen("output.txt", "w").write(greeting.hello(open("input.txt").read().strip()))\n',
          input: 'replay\n',
        }],
      },
      {
        name: 'sandboxed-command-refused',
        type: 'sandboxedCommand',
        args: [{ session: { networkMode: 'allowlist', networkAllowlist: [`${PKG}:443`] }, command: 'true', call: { networkAllowlist: [`${EVIL}:443`] } }],
        fails: true,
      },
    ];
    mkdirSync(OUT, { recursive: true });
    const only = process.argv.slice(2);
    await worker.runUntil(async () => {
      for (const run of runs.filter((r) => only.length === 0 || only.includes(r.name))) {
        const workflowId = `${run.name}-${Date.now()}`;
        const outcome = await client.workflow
          .execute(run.type, { taskQueue, workflowId, args: run.args })
          .then(() => 'completed', (err: Error) => `failed: ${(err.cause as Error | undefined)?.message ?? err.message}`);
        if (outcome.startsWith('failed') !== Boolean(run.fails)) throw new Error(`${run.name}: unexpected outcome, ${outcome}`);
        const history = await client.workflow.getHandle(workflowId).fetchHistory();
        const file = path.join(OUT, `${run.name}.json`);
        writeFileSync(file, `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 2)}\n`);
        log(`${run.name}: ${outcome}, ${history.events?.length} events -> ${path.relative(REPO, file)}`);
      }
    });
  } finally {
    await connection.close();
    await nativeConnection.close();
    await index.close();
    await pythonIndex.close();
    await server.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`record-histories: ${err?.stack ?? err}\n`);
    process.exit(1);
  },
);
