// One sandboxed run: policy -> plan -> proxies -> namespace -> command -> result.
import { randomBytes } from 'node:crypto';
import type * as net from 'node:net';
import { constants as osConstants } from 'node:os';
import { performance } from 'node:perf_hooks';
import { SandboxBackendError } from '../errors';
import { compilePolicy, type CompiledPolicy } from '../policy';
import {
  createHttpProxy,
  createResolver,
  createSocksProxy,
  DEFAULT_LIMITS,
  RecordLog,
  startProxyPair,
  type ProxyContext,
} from '../proxy';
import type { Backend, RunResult, Termination } from '../types';
import { checkBackend } from './backends';
import { createBridge } from './bridge';
import { commandEnv, type ProxyUrls } from './env';
import { BoundedOutput, DEFAULT_OUTPUT_LIMIT } from './output';
import { HTTP_PORT_INSIDE, SOCKS_PORT_INSIDE, planRun, type RunPlan } from './plan';
import { SandboxProcess, type SandboxShape } from './sandbox-process';
import { DEFAULT_KILL_GRACE_MS, Terminator } from './terminate';
import { validateRunOptions, type RunOptions } from './options';

export type { RunOptions } from './options';

type Listener = { server: net.Server; close(): unknown };

const SIGNAL_NAMES = new Map<number, string>(
  Object.entries(osConstants.signals).map(([name, num]) => [num as number, name]),
);

/** Runs one command under a network policy and returns its result. Never leaves a process behind. */
export async function runSandboxed(options: RunOptions): Promise<RunResult> {
  const started = performance.now();
  const input = validateRunOptions(options);
  const backend: Backend = input.backend;
  const policy = compilePolicy(options, options.call, options.worker);
  checkBackend(backend);
  const plan = planRun(policy, backend);
  const log = new RecordLog(options.maxRecords);
  const egress = await startEgress(plan, policy, log, options);

  const shape: SandboxShape = {
    backend,
    isolateNetwork: plan.isolateNetwork,
    listen: plan.listenInside ? [...egress.listeners.keys()] : [],
  };
  const env = commandEnv({ inherit: options.inheritEnv ?? false, extra: options.env, proxies: egress.urls });
  const stdout = new BoundedOutput(options.outputLimitBytes ?? DEFAULT_OUTPUT_LIMIT);
  const stderr = new BoundedOutput(options.outputLimitBytes ?? DEFAULT_OUTPUT_LIMIT);

  let stopReason: 'timeout' | 'cancelled' | null = null;
  let sandbox: SandboxProcess | null = null;
  const outcome = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    if (options.signal?.aborted) {
      stopReason = 'cancelled';
      resolve({ code: null, signal: null });
      return;
    }
    sandbox = options.pool?.take(shape) ?? new SandboxProcess(shape);
    const proc = sandbox.proc;
    const terminator = new Terminator(proc, sandbox.pidNamespace, options.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
    const stop = (why: 'timeout' | 'cancelled') => {
      stopReason ??= why;
      terminator.start();
    };
    const timer = input.timeoutMs ? setTimeout(() => stop('timeout'), input.timeoutMs) : null;
    const onAbort = () => stop('cancelled');
    options.signal?.addEventListener('abort', onAbort, { once: true });

    proc.stdout!.on('data', (chunk: Buffer) => {
      stdout.push(chunk);
      options.onOutput?.('stdout', chunk);
    });
    proc.stderr!.on('data', (chunk: Buffer) => {
      stderr.push(chunk);
      options.onOutput?.('stderr', chunk);
    });
    proc.on('error', (err) => {
      cleanup();
      reject(new SandboxBackendError(backend, `cannot start the ${backend} sandbox: ${err.message}`));
    });
    proc.on('close', (code, signal) => {
      cleanup();
      resolve({ code, signal });
    });
    sandbox.start({ command: input.command, env, cwd: input.cwd, stdin: options.stdin }, (port, handle) => {
      const listener = egress.listeners.get(port);
      if (listener) listener.server.listen(handle);
      else (handle as { close?: () => void }).close?.();
    });
    function cleanup() {
      if (timer) clearTimeout(timer);
      terminator.dispose();
      options.signal?.removeEventListener('abort', onAbort);
    }
  }).finally(() => egress.close());

  const exit = interpretExit((sandbox as SandboxProcess | null)?.exit ?? null, outcome, stopReason, stderr, backend);
  const records = log.snapshot();
  return {
    exitCode: exit.exitCode,
    signal: exit.signal,
    termination: exit.termination,
    durationMs: Math.round((performance.now() - started) * 1000) / 1000,
    stdout: stdout.text(),
    stderr: stderr.text(),
    stdoutBytes: stdout.total,
    stderrBytes: stderr.total,
    stdoutTruncated: stdout.truncated,
    stderrTruncated: stderr.truncated,
    backend,
    policy: withBackendNotes(policy, backend),
    allowed: records.allowed,
    denied: records.denied,
    recordsDropped: records.dropped,
  };
}

function interpretExit(
  reported: { code?: number; signal?: number } | null,
  outcome: { code: number | null; signal: NodeJS.Signals | null },
  stopReason: 'timeout' | 'cancelled' | null,
  stderr: BoundedOutput,
  backend: Backend,
): { exitCode: number | null; signal: string | null; termination: Termination } {
  if (reported) {
    const signal = reported.signal !== undefined ? SIGNAL_NAMES.get(reported.signal) ?? `SIG${reported.signal}` : null;
    const termination: Termination = stopReason ?? (signal ? 'signal' : 'exited');
    return { exitCode: signal ? null : reported.code ?? null, signal, termination };
  }
  // The helper never reported: either we killed the run before it could, or the backend failed
  // to set the sandbox up (its own message is on stderr).
  if (stopReason) return { exitCode: null, signal: outcome.signal ?? 'SIGKILL', termination: stopReason };
  throw new SandboxBackendError(backend, backendFailure(backend, stderr.text(), outcome));
}

function backendFailure(backend: Backend, stderr: string, outcome: { code: number | null; signal: string | null }): string {
  const said = stderr.trim().split('\n').slice(-3).join(' / ') || `exit ${outcome.code ?? outcome.signal}`;
  let hint = '';
  if (/RTM_NEWADDR|Operation not permitted|setting up uid map|No permissions to create new namespace/i.test(said)) {
    hint = ': the kernel refused a namespace (user namespaces disabled, AppArmor restrict_unprivileged_userns, or an unprivileged container); enable them or run the worker where namespaces are allowed';
  }
  return `backend ${backend} could not start the sandbox: ${said}${hint}`;
}

function withBackendNotes(policy: CompiledPolicy, backend: Backend): RunResult['policy'] {
  if (backend !== 'none') return policy.effective;
  return {
    ...policy.effective,
    notes: [
      ...policy.effective.notes,
      'backend none: no namespace; nothing but the proxy variables stands between the command and the host network (development only)',
    ],
  };
}

type Egress = { listeners: Map<number, Listener>; urls: ProxyUrls | null; close(): Promise<void> };

/** Starts what the plan needs before the command starts, so that no readiness wait is needed. */
async function startEgress(plan: RunPlan, policy: CompiledPolicy, log: RecordLog, options: RunOptions): Promise<Egress> {
  const listeners = new Map<number, Listener>();
  const closeAll = async () => {
    await Promise.all([...listeners.values()].map((l) => l.close()));
  };
  const e = plan.egress;
  if (e.kind === 'none') return { listeners, urls: null, close: closeAll };
  // The user's URLs exactly as given (URL.href would add a trailing slash).
  if (e.kind === 'direct') return { listeners, urls: { http: policy.proxyUrl!, socks: policy.socksUrl }, close: closeAll };

  if (e.kind === 'bridge') {
    listeners.set(HTTP_PORT_INSIDE, createBridge(e.http.hostname, Number(e.http.port) || 80));
    if (e.socks) listeners.set(SOCKS_PORT_INSIDE, createBridge(e.socks.hostname, Number(e.socks.port) || 1080));
    const http = insideUrl(e.http, 'http', HTTP_PORT_INSIDE);
    const socks = e.socks ? insideUrl(e.socks, 'socks5h', SOCKS_PORT_INSIDE) : null;
    return { listeners, urls: { http, socks }, close: closeAll };
  }

  // Our proxy pair. On host loopback (no namespace to hide in) it demands a per-run credential.
  const credential = plan.listenInside ? null : { username: 'sandbox', password: randomBytes(16).toString('hex') };
  const ctx: ProxyContext = {
    policy,
    resolve: createResolver(options.resolveStatic),
    log,
    credential,
    self: [],
    limits: { ...DEFAULT_LIMITS, ...options.proxyLimits },
  };
  if (plan.listenInside) {
    // The listening sockets arrive from inside the namespace once the sandbox is up.
    listeners.set(HTTP_PORT_INSIDE, createHttpProxy(ctx));
    listeners.set(SOCKS_PORT_INSIDE, createSocksProxy(ctx));
    return {
      listeners,
      urls: { http: `http://127.0.0.1:${HTTP_PORT_INSIDE}`, socks: `socks5h://127.0.0.1:${SOCKS_PORT_INSIDE}` },
      close: closeAll,
    };
  }
  const pair = await startProxyPair(ctx, { http: { host: '127.0.0.1', port: 0 }, socks: { host: '127.0.0.1', port: 0 } });
  const auth = `${credential!.username}:${credential!.password}@`;
  return {
    listeners,
    urls: { http: `http://${auth}127.0.0.1:${pair.httpPort}`, socks: `socks5h://${auth}127.0.0.1:${pair.socksPort}` },
    close: () => pair.close(),
  };
}

/** The user's proxy URL with its credentials kept, pointed at the bridge inside the namespace. */
function insideUrl(url: URL, scheme: string, port: number): string {
  const auth = url.username ? `${url.username}${url.password ? `:${url.password}` : ''}@` : '';
  return `${scheme}://${auth}127.0.0.1:${port}`;
}
