// One run's namespaces and its sandbox-init, started before the command is known and then given
// it (sandbox-init --spec-fd): the same path serves a cold start and a warm one from the pool.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import type { Backend } from '../types';
import { launchFor } from './backends';

/** What can be prepared before a run is asked for: everything but the command itself. */
export type SandboxShape = { backend: Backend; isolateNetwork: boolean; listen: readonly number[] };

export function shapeKey(shape: SandboxShape): string {
  return `${shape.backend}/${shape.isolateNetwork ? 'netns' : 'hostnet'}/${shape.listen.join(',')}`;
}

export type CommandSpec = { command: readonly string[]; env: Readonly<Record<string, string>>; cwd?: string; stdin?: string };

export type ReportedExit = { code?: number; signal?: number };

type HandleSink = (port: number, handle: object) => void;

const SPEC_FD = 4;

export class SandboxProcess {
  readonly proc: ChildProcess;
  readonly pidNamespace: boolean;
  /** The command's exact wait status, as sandbox-init reported it. */
  exit: ReportedExit | null = null;
  ready = false;
  private readonly handles: Array<[number, object]> = [];
  private sink: HandleSink | null = null;
  private readyWaiters: Array<() => void> = [];

  constructor(readonly shape: SandboxShape) {
    const launch = launchFor({ ...shape, specFd: SPEC_FD });
    this.pidNamespace = launch.pidNamespace;
    this.proc = spawn(launch.file, launch.args, {
      // sandbox-init replaces this environment with the command's before it runs it.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      stdio: ['pipe', 'pipe', 'pipe', 'ipc', 'pipe'],
    });
    this.proc.on('message', (msg: any, handle: unknown) => {
      if (msg && typeof msg.sandboxListen === 'number' && handle) this.deliver(msg.sandboxListen, handle as object);
      else if (msg && msg.sandboxReady) this.markReady();
      else if (msg && msg.sandboxExit) this.exit = msg.sandboxExit;
    });
    // Until a run takes it, an exit (the backend failed) must not be an unhandled error.
    this.proc.on('error', () => {});
    this.proc.on('exit', () => this.markReady());
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null && !this.proc.killed;
  }

  /** Resolves once the namespaces are set up (or the process is gone). */
  whenReady(): Promise<void> {
    return this.ready ? Promise.resolve() : new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /** Hands the command over. Listening sockets reach `sink`, those that came earlier first. */
  start(spec: CommandSpec, sink: HandleSink): void {
    this.sink = sink;
    for (const [port, handle] of this.handles.splice(0)) sink(port, handle);
    const specPipe = this.proc.stdio[SPEC_FD] as Writable;
    specPipe.on('error', () => {}); // a backend that died before reading: reported by the run
    specPipe.end(encodeSpec(spec));
    this.proc.stdin!.on('error', () => {}); // the command may exit without reading its input
    this.proc.stdin!.end(spec.stdin);
  }

  /** An idle warm sandbox must not keep the worker's event loop alive. */
  setIdle(idle: boolean): void {
    const handles = [this.proc, this.proc.channel, this.proc.stdin, this.proc.stdout, this.proc.stderr, this.proc.stdio[SPEC_FD]];
    for (const h of handles as Array<{ ref?: () => void; unref?: () => void } | null | undefined>) {
      if (idle) h?.unref?.();
      else h?.ref?.();
    }
  }

  kill(): void {
    if (this.alive) this.proc.kill('SIGKILL');
    for (const [, handle] of this.handles.splice(0)) (handle as { close?: () => void }).close?.();
  }

  private deliver(port: number, handle: object): void {
    if (this.sink) this.sink(port, handle);
    else this.handles.push([port, handle]);
  }

  private markReady(): void {
    this.ready = true;
    for (const w of this.readyWaiters.splice(0)) w();
  }
}

/** NUL-terminated strings: argc, argv..., envc, KEY=VALUE..., cwd ('' = stay). */
function encodeSpec(spec: CommandSpec): Buffer {
  const env = Object.entries(spec.env).map(([k, v]) => `${k}=${v}`);
  const parts = [String(spec.command.length), ...spec.command, String(env.length), ...env, spec.cwd ?? ''];
  return Buffer.from(parts.map((p) => `${p}\0`).join(''));
}
