// Runs a Temporal worker with the sandbox plugin and the example workflows.
//   TEMPORAL_ADDRESS       default localhost:7233
//   TEMPORAL_NAMESPACE     default 'default'
//   TEMPORAL_TASK_QUEUE    default 'sandbox'
//   SANDBOX_WORKER_CEILING JSON worker ceiling, e.g. {"maxNetworkMode":"allowlist","networkAllowlist":["@pypi"]}
//   SANDBOX_RESOLVE        static resolver answers, "name=address,name=address" (tests, demos)
// SIGINT or SIGTERM stops polling, cancels running commands (their process trees end), and exits.
import { NativeConnection, Worker } from '@temporalio/worker';
import { SandboxPlugin, type SandboxPluginOptions } from './activities';
import { SandboxError } from './sandbox/errors';
import { parseResolveFlags } from './sandbox/policy/static-answers';

export const DEFAULT_TASK_QUEUE = 'sandbox';

export type SandboxWorkerOptions = {
  address?: string;
  namespace?: string;
  taskQueue?: string;
  plugin?: SandboxPluginOptions;
  /** Default: the example workflows next to this file. */
  workflowsPath?: string;
};

/** Connects, runs until a shutdown signal, then closes the connection. */
export async function runSandboxWorker(options: SandboxWorkerOptions = {}): Promise<void> {
  const connection = await NativeConnection.connect({ address: options.address ?? 'localhost:7233' });
  try {
    const worker = await Worker.create({
      connection,
      namespace: options.namespace ?? 'default',
      taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
      workflowsPath: options.workflowsPath ?? require.resolve('./examples/workflows'),
      plugins: [new SandboxPlugin(options.plugin)],
    });
    // The SDK's Runtime handles SIGINT and SIGTERM (shutdownSignals): run() then resolves.
    await worker.run();
  } finally {
    await connection.close();
  }
}

function optionsFromEnv(env: NodeJS.ProcessEnv): SandboxWorkerOptions {
  let plugin: SandboxPluginOptions = {};
  if (env.SANDBOX_WORKER_CEILING) {
    try {
      plugin = JSON.parse(env.SANDBOX_WORKER_CEILING);
    } catch (err) {
      throw new SandboxError(`SANDBOX_WORKER_CEILING is not JSON: ${(err as Error).message}`);
    }
  }
  if (env.SANDBOX_RESOLVE) plugin = { ...plugin, resolveStatic: parseResolveFlags(env.SANDBOX_RESOLVE.split(',').filter(Boolean)) };
  return {
    address: env.TEMPORAL_ADDRESS || undefined,
    namespace: env.TEMPORAL_NAMESPACE || undefined,
    taskQueue: env.TEMPORAL_TASK_QUEUE || undefined,
    plugin,
  };
}

if (require.main === module) {
  Promise.resolve()
    .then(() => runSandboxWorker(optionsFromEnv(process.env)))
    .then(
      () => process.exit(0),
      (err) => {
        process.stderr.write(`sandbox worker: ${err instanceof SandboxError ? err.message : err?.stack ?? err}\n`);
        process.exit(1);
      },
    );
}
