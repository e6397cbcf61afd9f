// One run's namespaces and its sandbox-init, started before the command is known and then given
// it (sandbox-init --spec-fd): the same path serves a cold start and a warm one from the pool.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import { helperFd } from '../helper-path';
import { launchFor, type LaunchPlan } from './backends';

/** Everything of a launch but the descriptors, which this file owns. */
export type SandboxShape = Omit<LaunchPlan, 'specFd' | 'exeFd'>;

export type CommandSpec = {
  command: readonly string[];
  env: Readonly<Record<string, string>>;
  cwd?: string;
  stdin?: string;
  /** Resource limits set in the command's process (absent: as inherited). */
  rlimits: { processes?: number; fileSizeBytes?: number; openFiles?: number; cpuSeconds?: number; dataBytes?: number };
};

/** What sandbox-init reported of the command's end. */
export type ReportedExit = { code?: number; signal?: number; limit?: string; setupError?: string };
/** What sandbox-init reported once the sandbox was set up. */
export type ReportedReady = { landlock: number; landlockWhy: string; masked: string[]; maskedCount: number };

/** A listening socket made inside the namespace, by name: a port ('3128'), 'capture4', 'dns-udp'... */
type HandleSink = (name: string, handle: object) => void;

const SPEC_FD = 4;
const EXE_FD = 5;

export class SandboxProcess {
  readonly proc: ChildProcess;
  readonly pidNamespace: boolean;
  /** The command's exact wait status, as sandbox-init reported it. */
  exit: ReportedExit | null = null;
  /** Set once the namespaces are up. */
  setup: ReportedReady | null = null;
  ready = false;
  private readonly handles: Array<[string, object]> = [];
  private sink: HandleSink | null = null;
  private readyWaiters: Array<() => void> = [];
  private started = false;

  constructor(readonly shape: SandboxShape) {
    const exeFd = helperFd(shape.backend);
    const launch = launchFor({ ...shape, specFd: SPEC_FD, exeFd: EXE_FD });
    this.pidNamespace = launch.pidNamespace;
    this.proc = spawn(launch.file, launch.args, {
      // sandbox-init replaces this environment with the command's before it runs it.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      stdio: ['pipe', 'pipe', 'pipe', 'ipc', 'pipe', exeFd],
      ...(launch.ids ? { uid: launch.ids.uid, gid: launch.ids.gid } : {}),
    });
    this.proc.on('message', (msg: any, handle: unknown) => {
      if (msg && typeof msg.sandboxListen === 'string' && handle) this.deliver(msg.sandboxListen, handle as object);
      else if (msg && msg.sandboxReady) this.markReady(msg);
      else if (msg && msg.sandboxExit) this.exit = msg.sandboxExit;
    });
    // Until a run takes it, an exit (the backend failed) must not be an unhandled error.
    this.proc.on('error', () => {});
    this.proc.on('exit', () => this.markReady(null));
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
    this.started = true;
    this.sink = sink;
    for (const [name, handle] of this.handles.splice(0)) sink(name, handle);
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

  /**
   * Ends a sandbox that will not run anything. An empty spec makes sandbox-init leave by itself
   * (and bwrap or unshare after it, each reaping its child: no zombie is left to the host's init).
   */
  discard(): void {
    for (const [, handle] of this.handles.splice(0)) (handle as { close?: () => void }).close?.();
    if (!this.alive) return;
    if (!this.started) {
      const specPipe = this.proc.stdio[SPEC_FD] as Writable;
      specPipe.on('error', () => {});
      specPipe.end();
      this.proc.stdin?.on('error', () => {});
      this.proc.stdin?.end();
    }
  }

  private deliver(name: string, handle: object): void {
    if (this.sink) this.sink(name, handle);
    else this.handles.push([name, handle]);
  }

  private markReady(msg: ReportedReady | null): void {
    if (msg) this.setup = { landlock: msg.landlock, landlockWhy: msg.landlockWhy, masked: msg.masked ?? [], maskedCount: msg.maskedCount ?? 0 };
    this.ready = true;
    for (const w of this.readyWaiters.splice(0)) w();
  }
}

/** NUL-terminated strings: argc, argv..., envc, KEY=VALUE..., cwd, then the five limits ('' = as inherited). */
function encodeSpec(spec: CommandSpec): Buffer {
  const env = Object.entries(spec.env).map(([k, v]) => `${k}=${v}`);
  const r = spec.rlimits;
  const limit = (v: number | undefined) => (v === undefined ? '' : String(v));
  const parts = [
    String(spec.command.length), ...spec.command, String(env.length), ...env, spec.cwd ?? '',
    limit(r.processes), limit(r.fileSizeBytes), limit(r.openFiles), limit(r.cpuSeconds), limit(r.dataBytes),
  ];
  return Buffer.from(parts.map((p) => `${p}\0`).join(''));
}
