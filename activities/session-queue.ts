// The worker-specific task queue that a session's later calls go to (docs/temporal.md,
// "Sessions"): Temporal's pattern for a series of activities that must share one machine. A
// second Worker in the same process polls it, created when the first session opens, so a worker
// that never opens one pays nothing; it stops with the worker it serves.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Worker, type WorkerOptions } from '@temporalio/worker';
import { HEARTBEAT_THROTTLE } from './options';

/** What the session queue's Worker shares with the worker it serves. */
type Base = Pick<WorkerOptions, 'connection' | 'namespace' | 'taskQueue' | 'dataConverter' | 'identity'> & {
  activityInterceptors?: NonNullable<WorkerOptions['interceptors']>['activity'];
};

export class SessionQueue {
  private base: Base | null = null;
  private main: Worker | null = null;
  private started: Promise<string> | null = null;
  private worker: Worker | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly activities: object) {}

  /** Called with the worker's own options as it is created: the session queue uses the same connection and converter. */
  configure(options: WorkerOptions): void {
    const { connection, namespace, taskQueue, dataConverter, identity } = options;
    this.base ??= { connection, namespace, taskQueue, dataConverter, identity, activityInterceptors: options.interceptors?.activity };
  }

  /** Called as the worker starts to run. */
  attach(worker: Worker): void {
    this.main ??= worker;
  }

  /** The queue's name, once its Worker polls it. The first call creates that Worker. */
  ensure(): Promise<string> {
    if (this.stopped) return Promise.reject(new Error('the worker is stopping: sessions are not opened now'));
    this.started ??= this.start().catch((err) => {
      this.started = null; // a later open tries again
      throw err;
    });
    return this.started;
  }

  /** The identity the worker reports to Temporal, for the session's record. */
  identity(): string {
    return this.main?.options.identity ?? this.base?.identity ?? `${process.pid}@${hostname()}`;
  }

  /** Stops the queue's Worker (the worker it serves is stopping), waiting for its calls in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.started?.catch(() => undefined);
    if (this.worker && this.worker.getState() === 'RUNNING') this.worker.shutdown();
    await this.running;
  }

  private async start(): Promise<string> {
    const base = this.base;
    const connection = base?.connection ?? this.main?.connection;
    if (!base || !connection) {
      throw new Error('sessions need SandboxPlugin on a Worker created with a connection (Worker.create({ connection, plugins: [new SandboxPlugin()] }))');
    }
    const name = `${base.taskQueue}/sandbox-sessions/${hostname()}/${process.pid}-${randomBytes(4).toString('hex')}`;
    const worker = await Worker.create({
      connection,
      taskQueue: name,
      activities: this.activities,
      // As on the worker the plugin configures: a cancelled run learns of it within seconds.
      maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
      // The SDK refuses an option given as undefined: pass only what the worker set.
      ...(base.namespace !== undefined && { namespace: base.namespace }),
      ...(base.identity !== undefined && { identity: base.identity }),
      ...(base.dataConverter !== undefined && { dataConverter: base.dataConverter }),
      ...(base.activityInterceptors !== undefined && { interceptors: { activity: base.activityInterceptors } }),
    });
    this.worker = worker;
    this.running = worker.run().catch((err) => {
      // Without its session queue the worker cannot serve its sessions: stop it, so that its
      // run() reports the error and the sessions' calls fail as lost rather than hang.
      if (this.main?.getState() === 'RUNNING') this.main.shutdown();
      throw err;
    });
    this.running.catch(() => undefined);
    return name;
  }
}
