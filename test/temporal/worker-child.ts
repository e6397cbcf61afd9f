// An activities-only worker with the sandbox plugin, run as a child process by the tests that kill
// workers (a SIGKILL cannot be aimed at a worker inside the Jest process). Workflows stay on the
// test's own worker, so a dead child leaves no sticky workflow task behind.
//   TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE from the environment;
//   SANDBOX_WORKER_CEILING (JSON), as worker.ts reads it.
// Prints "ready" on stdout once it polls.
import { NativeConnection, Worker } from '@temporalio/worker';
import { SandboxPlugin } from '../../activities';
import { installQuietRuntime } from '../../fixtures/quiet-runtime';
import { RESOLVE_STATIC } from './env';

async function main(): Promise<void> {
  installQuietRuntime();
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  try {
    const worker = await Worker.create({
      connection,
      namespace: process.env.TEMPORAL_NAMESPACE || 'default',
      taskQueue: process.env.TEMPORAL_TASK_QUEUE!,
      plugins: [new SandboxPlugin({ ...JSON.parse(process.env.SANDBOX_WORKER_CEILING || '{}'), resolveStatic: RESOLVE_STATIC })],
    });
    const running = worker.run(); // until SIGINT/SIGTERM (the Runtime's shutdown signals)
    process.stdout.write('ready\n');
    await running;
  } finally {
    await connection.close();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`worker-child: ${err?.stack ?? err}\n`);
    process.exit(1);
  },
);
