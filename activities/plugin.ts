// SandboxPlugin: registers the `sandbox.run` activity on a worker, bound to the worker ceiling.
//   Worker.create({ ..., plugins: [new SandboxPlugin({ maxNetworkMode: 'allowlist', networkAllowlist: ['@pypi'] })] })
// Workflows are not part of it (TypeScript bundles cannot carry plugin workflows); they import
// `temporal-sandbox/workflow`.
import { SimplePlugin } from '@temporalio/plugin';
import type { WorkerOptions } from '@temporalio/worker';
import { makeWorkerRunner, type SandboxWorkerOptions } from './options';
import { createSandboxActivities } from './run';

export type SandboxPluginOptions = SandboxWorkerOptions;

export class SandboxPlugin extends SimplePlugin {
  constructor(options: SandboxPluginOptions = {}) {
    // A malformed ceiling or uid range stops the worker at start-up, not at the first run.
    const runner = makeWorkerRunner(options);
    super({
      name: 'temporal-sandbox',
      activities: createSandboxActivities(options, runner),
      // When the worker stops, its idle warm sandboxes go too.
      runContext: async (next) => {
        try {
          await next();
        } finally {
          runner.close();
        }
      },
    });
  }

  /**
   * The one worker-wide setting the plugin changes, and only when the worker leaves it unset
   * (docs/temporal.md, "The plugin"): a running command learns of its cancellation only in
   * the answer to a heartbeat, and the SDK sends heartbeats at most every 80% of
   * heartbeatTimeout: 24 s under the session default of 30 s. Capped at 2 s, a cancelled run
   * ends within seconds.
   */
  configureWorker(options: WorkerOptions): WorkerOptions {
    const configured = super.configureWorker(options);
    return { ...configured, maxHeartbeatThrottleInterval: configured.maxHeartbeatThrottleInterval ?? '2 seconds' };
  }
}
