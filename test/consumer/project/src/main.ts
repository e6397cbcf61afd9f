// Runs consumerBuild on the server at TEMPORAL_ADDRESS with a worker of its own and prints the
// workflow's id and result as one line of JSON.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createWorker } from './worker';
import { consumerBuild } from './workflows';

async function main(): Promise<void> {
  const address = process.env.TEMPORAL_ADDRESS ?? 'localhost:7233';
  const namespace = process.env.TEMPORAL_NAMESPACE || 'default';
  const taskQueue = `consumer-${process.pid}`;
  const workerConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  try {
    const worker = await createWorker(workerConnection, namespace, taskQueue);
    const client = new Client({ connection, namespace });
    await worker.runUntil(async () => {
      const handle = await client.workflow.start(consumerBuild, { taskQueue, workflowId: `consumer-build-${process.pid}-${Date.now()}` });
      process.stdout.write(`${JSON.stringify({ workflowId: handle.workflowId, result: await handle.result() })}\n`);
    });
  } finally {
    await connection.close();
    await workerConnection.close();
  }
}

main().catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(1);
});
