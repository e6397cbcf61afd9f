// What the Temporal tests share: a client of the run's server, a worker with the sandbox plugin
// on a task queue of the test's own, and small readers of workflow history.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { SandboxPlugin, type SandboxPluginOptions } from '../../activities';
import { installQuietRuntime } from '../../fixtures/quiet-runtime';
import { RUN_ACTIVITY } from '../../common/request';
import { BUNDLE_ENV, RESOLVE_STATIC, WORKFLOWS_PATH } from './env';

export function serverAddress(): { address: string; namespace: string } {
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) throw new Error('TEMPORAL_ADDRESS is not set: run these tests through jest.config.js (its globalSetup starts the server)');
  return { address, namespace: process.env.TEMPORAL_NAMESPACE || 'default' };
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

export type TestClient = { client: Client; close(): Promise<void> };

export async function connectClient(): Promise<TestClient> {
  const { address, namespace } = serverAddress();
  const connection = await Connection.connect({ address });
  return { client: new Client({ connection, namespace }), close: () => connection.close() };
}

export type TestWorker = { taskQueue: string; worker: Worker; stop(): Promise<void> };

/**
 * A worker with the sandbox plugin (test names resolved statically to loopback) and the example
 * workflows, running in the background until stop().
 */
export async function startWorker(options: {
  taskQueue?: string;
  plugin?: SandboxPluginOptions;
  workflows?: boolean;
  activities?: boolean;
  worker?: Partial<WorkerOptions>;
} = {}): Promise<TestWorker> {
  installQuietRuntime();
  const { address, namespace } = serverAddress();
  const taskQueue = options.taskQueue ?? uniqueName('tq');
  const connection = await NativeConnection.connect({ address });
  const bundlePath = process.env[BUNDLE_ENV];
  const workflows = options.workflows === false ? {} : bundlePath ? { workflowBundle: { codePath: bundlePath } } : { workflowsPath: WORKFLOWS_PATH };
  const worker = await Worker.create({
    connection,
    namespace,
    taskQueue,
    ...workflows,
    plugins: options.activities === false ? [] : [new SandboxPlugin({ resolveStatic: RESOLVE_STATIC, ...options.plugin })],
    ...options.worker,
  });
  const running = worker.run();
  return {
    taskQueue,
    worker,
    stop: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

// ----------------------------------------------------------------------------- history readers

type Event = NonNullable<History['events']>[number];

export function sandboxRunsScheduled(history: History): Event[] {
  return (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === RUN_ACTIVITY);
}

export function activityStarts(history: History): Event[] {
  return (history.events ?? []).filter((e) => e.activityTaskStartedEventAttributes);
}

/** Polls until `check` returns a value (not undefined) or the deadline passes. */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ----------------------------------------------------------------------------- child processes

const children: ChildProcess[] = [];

/** Kills, at the end of a test file, every child process it started that still runs. */
export function trackChild(child: ChildProcess): void {
  children.push(child);
}

export function killChildren(): void {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

export type ReadyChild = { child: ChildProcess; exited: Promise<number | null>; output: () => string };

/** A node child process, resolved once it prints "ready" (or rejected if it exits first). */
export function spawnReady(script: string, env: Record<string, string>): Promise<ReadyChild> {
  const child = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} not ready in 30 s: ${output}`)), 30_000);
    child.stdout!.on('data', (c) => {
      output += c;
      if (output.includes('ready')) {
        clearTimeout(timer);
        resolve({ child, exited, output: () => output });
      }
    });
    child.stderr!.on('data', (c) => (output += c));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code}) before it was ready: ${output}`));
    });
  });
}
