// A consumer's worker, as the package's README shows it, with the workflows bundled first.
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { SandboxPlugin } from 'temporal-sandbox/worker';

export async function createWorker(connection: NativeConnection, namespace: string, taskQueue: string): Promise<Worker> {
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows') });
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    workflowBundle: { code },
    plugins: [new SandboxPlugin({ maxNetworkMode: 'allowlist', networkDenylist: ['@cloud-metadata'] })],
  });
}
