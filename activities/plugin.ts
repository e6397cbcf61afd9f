// SandboxPlugin: registers the `sandbox.run` activity on a worker, bound to the worker ceiling.
//   Worker.create({ ..., plugins: [new SandboxPlugin({ maxNetworkMode: 'allowlist', networkAllowlist: ['@pypi'] })] })
// Workflows are not part of it (TypeScript bundles cannot carry plugin workflows); they import
// `temporal-sandbox/workflow`.
import { SimplePlugin } from '@temporalio/plugin';
import type { Worker, WorkerOptions } from '@temporalio/worker';
import { leaveLifeDir } from '../sandbox/contain/work-root';
import { SessionStore } from '../sandbox/session/store';
import { checkMaxSessions, HEARTBEAT_THROTTLE, makeWorkerRunner, type SandboxWorkerOptions } from './options';
import { createSandboxActivities } from './run';
import { SessionQueue } from './session-queue';
import { openSessionActivity, sessionFileActivities, type SessionHost } from './sessions';

export type SandboxPluginOptions = SandboxWorkerOptions;

export class SandboxPlugin extends SimplePlugin {
  private readonly sessions: SessionHost;

  constructor(options: SandboxPluginOptions = {}) {
    // A malformed ceiling or uid range stops the worker at start-up, not at the first run.
    const runner = makeWorkerRunner(options);
    const store = new SessionStore(runner, { maxSessions: checkMaxSessions(options.maxSessions) });
    const run = createSandboxActivities(options, runner, store);
    const queue = new SessionQueue({ ...run, ...sessionFileActivities(store) });
    const sessions: SessionHost = { store, queue };
    super({
      name: 'temporal-sandbox',
      activities: { ...run, ...openSessionActivity(sessions) },
      // When the worker stops: its session queue, then its sessions (work dirs removed), then
      // its idle warm sandboxes.
      runContext: async (next) => {
        try {
          await next();
        } finally {
          await queue.stop().catch(() => undefined);
          await store.closeAll();
          runner.close();
          leaveLifeDir();
        }
      },
    });
    this.sessions = sessions;
  }

  runWorker(worker: Worker, next: (w: Worker) => Promise<void>): Promise<void> {
    this.sessions.queue.attach(worker);
    return super.runWorker(worker, next);
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
    this.sessions.queue.configure(configured);
    return { ...configured, maxHeartbeatThrottleInterval: configured.maxHeartbeatThrottleInterval ?? HEARTBEAT_THROTTLE };
  }
}
