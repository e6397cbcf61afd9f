// SandboxPlugin: registers the `sandbox.run` activity on a worker, bound to the worker ceiling.
//   Worker.create({ ..., plugins: [new SandboxPlugin({ maxNetworkMode: 'allowlist', networkAllowlist: ['@pypi'] })] })
// Workflows are not part of it (TypeScript bundles cannot carry plugin workflows); they import
// `temporal-sandbox/workflow`.
import { SimplePlugin } from '@temporalio/plugin';
import type { WorkerOptions } from '@temporalio/worker';
import { IdAllocator } from '../sandbox/contain/identity';
import { validateWorkerCeiling } from './ceiling';
import { createSandboxActivities, type SandboxActivityOptions } from './run';
import { WorkerRunner } from './runner';

export type SandboxPluginOptions = Omit<SandboxActivityOptions, 'resolveStatic'> & {
  /** Static resolver answers for the proxies, as a Map or { name: address | addresses }. */
  resolveStatic?: ReadonlyMap<string, readonly string[]> | Readonly<Record<string, string | readonly string[]>>;
};

export class SandboxPlugin extends SimplePlugin {
  constructor(options: SandboxPluginOptions = {}) {
    // A malformed ceiling stops the worker at startup, not at the first run.
    validateWorkerCeiling(options);
    if (options.uidRange) new IdAllocator(options.uidRange); // a bad range stops the worker here too
    const runner = new WorkerRunner(options.warm ?? 1, options.uidRange);
    super({
      name: 'temporal-sandbox',
      activities: createSandboxActivities({ ...options, resolveStatic: toMap(options.resolveStatic) }, runner),
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

  configureWorker(options: WorkerOptions): WorkerOptions {
    const configured = super.configureWorker(options);
    // A running command learns of its cancellation only in the answer to a heartbeat, and the SDK
    // sends heartbeats at most every 80% of heartbeatTimeout: 24 s under the session default of
    // 30 s. Unless the worker sets its own, cap that so a cancelled run ends within seconds.
    return { ...configured, maxHeartbeatThrottleInterval: configured.maxHeartbeatThrottleInterval ?? '2 seconds' };
  }
}

function toMap(answers: SandboxPluginOptions['resolveStatic']): ReadonlyMap<string, readonly string[]> | undefined {
  if (answers === undefined || answers instanceof Map) return answers as ReadonlyMap<string, readonly string[]> | undefined;
  return new Map(Object.entries(answers).map(([name, value]) => [name, typeof value === 'string' ? [value] : [...value]]));
}
