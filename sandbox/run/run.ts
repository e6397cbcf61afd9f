// One sandboxed run: policy -> plan -> proxies -> namespace -> command -> result.
import { randomBytes } from 'node:crypto';
import type * as net from 'node:net';
import { constants as osConstants } from 'node:os';
import { performance } from 'node:perf_hooks';
import { appliedLimits } from '../contain/applied-limits';
import { cgroupSupport } from '../contain/cgroup';
import { canSwitchIdentity } from '../contain/identity';
import { checkHostPaths, checkWorkdir } from '../contain/workdir';
import { SandboxBackendError, SandboxInputError } from '../errors';
import { compilePolicy, normalizePath, type CompiledPolicy, type LimitName } from '../policy';
import {
  createHttpProxy,
  createResolver,
  createSocksProxy,
  DEFAULT_LIMITS,
  RecordLog,
  startProxyPair,
  type ProxyContext,
} from '../proxy';
import type { Backend, EffectivePolicy, RunResult, Termination } from '../types';
import { checkBackend } from './backends';
import { createBridge } from './bridge';
import { commandEnv, type ProxyUrls } from './env';
import { BoundedOutput, DEFAULT_OUTPUT_LIMIT } from './output';
import { HTTP_PORT_INSIDE, SOCKS_PORT_INSIDE, planRun, type RunPlan } from './plan';
import { prepareSandbox, type PreparedSandbox, type SandboxTemplate, type Workdir } from './prepare';
import type { ReportedExit, ReportedReady } from './sandbox-process';
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
  if (backend === 'none' && policy.mode !== 'open') {
    throw new SandboxBackendError(
      backend,
      `backend none has no namespace and cannot enforce networkMode '${policy.mode}': use backend bubblewrap or userns (--backend userns works without root)`,
    );
  }
  checkBackend(backend);
  checkHostPaths(policy.readOnlyPaths, 'readOnlyPaths');
  checkHostPaths(policy.readWritePaths, 'readWritePaths');
  const workdir = options.workdir === undefined ? ('fresh' as const) : given(options.workdir, options.workdirInside, backend);
  const plan = planRun(policy, backend);
  const log = new RecordLog(options.maxRecords);
  const egress = await startEgress(plan, policy, log, options);

  const template: SandboxTemplate = {
    backend,
    isolateNetwork: plan.isolateNetwork,
    listen: plan.listenInside ? [...egress.listeners.keys()] : [],
    workdir,
    readOnlyPaths: policy.readOnlyPaths,
    readWritePaths: policy.readWritePaths,
    tmpBytes: policy.limits.tmpBytes,
    identity: options.runAs ?? (canSwitchIdentity() ? 'fresh' : 'caller'),
  };
  let prepared: PreparedSandbox;
  try {
    prepared = options.pool?.take(template) ?? prepareSandbox(template, options.ids);
  } catch (err) {
    await egress.close();
    throw err;
  }
  const stdout = new BoundedOutput(options.outputLimitBytes ?? DEFAULT_OUTPUT_LIMIT);
  const stderr = new BoundedOutput(options.outputLimitBytes ?? DEFAULT_OUTPUT_LIMIT);
  const sandbox = prepared.process;
  let stopReason: 'timeout' | 'cancelled' | null = null;
  let outcome: { code: number | null; signal: NodeJS.Signals | null };
  try {
    prepared.cgroup?.apply(policy.limits.memoryBytes, policy.limits.processes);
    const env = commandEnv({ inherit: options.inheritEnv ?? false, extra: options.env, proxies: egress.urls, workdir: prepared.workdir.inside });
    const cwd = input.cwd === undefined ? prepared.workdir.inside : input.cwd.startsWith('/') ? input.cwd : `${prepared.workdir.inside}/${input.cwd}`;
    const { processes, fileSizeBytes, openFiles, cpuSeconds } = policy.limits;
    outcome = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      if (options.signal?.aborted) {
        stopReason = 'cancelled';
        sandbox.discard();
        resolve({ code: null, signal: null });
        return;
      }
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
      const spec = { command: input.command, env, cwd, stdin: options.stdin, rlimits: { processes, fileSizeBytes, openFiles, cpuSeconds } };
      sandbox.start(spec, (port, handle) => {
        const listener = egress.listeners.get(port);
        if (listener) listener.server.listen(handle);
        else (handle as { close?: () => void }).close?.();
      });
      function cleanup() {
        if (timer) clearTimeout(timer);
        terminator.dispose();
        options.signal?.removeEventListener('abort', onAbort);
      }
    });
  } finally {
    await egress.close();
    options.pool?.refill(template);
  }
  const limitHit = prepared.cgroup?.limitHit() ?? null;
  prepared.release();

  const exit = interpretExit(sandbox.exit, outcome, stopReason, stderr, backend);
  const records = log.snapshot();
  const limit = (sandbox.exit?.limit as LimitName | undefined) ?? limitHit ?? limitBySignal(exit.signal);
  return {
    exitCode: exit.exitCode,
    signal: exit.signal,
    termination: exit.termination,
    ...(limit ? { limit } : {}),
    durationMs: Math.round((performance.now() - started) * 1000) / 1000,
    stdout: stdout.text(),
    stderr: stderr.text(),
    stdoutBytes: stdout.total,
    stderrBytes: stderr.total,
    stdoutTruncated: stdout.truncated,
    stderrTruncated: stderr.truncated,
    backend,
    workdir: prepared.workdir.inside,
    policy: appliedPolicy(policy, backend, prepared, sandbox.setup),
    allowed: records.allowed,
    denied: records.denied,
    recordsDropped: records.dropped,
  };
}

/** A caller's work dir, checked; it appears at its own path unless told otherwise. */
function given(dir: string, inside: string | undefined, backend: Backend): Workdir {
  const host = checkWorkdir(dir);
  if (inside !== undefined && backend !== 'none') {
    if (!inside.startsWith('/') || normalizePath(inside) !== inside || inside === '/') {
      throw new SandboxInputError(`workdirInside ${JSON.stringify(inside)} must be a canonical absolute path other than /`);
    }
    return { host, inside };
  }
  return { host, inside: host };
}

/** A command killed by the signal its limit sends. */
function limitBySignal(signal: string | null): LimitName | undefined {
  if (signal === 'SIGXFSZ') return 'fileSizeBytes';
  if (signal === 'SIGXCPU') return 'cpuSeconds';
  return undefined;
}

function appliedPolicy(policy: CompiledPolicy, backend: Backend, prepared: PreparedSandbox, setup: ReportedReady | null): EffectivePolicy {
  const contained = backend !== 'none';
  const support = cgroupSupport();
  const notes = [...policy.effective.notes];
  if (!contained) {
    notes.push('backend none: no namespace; nothing but the proxy variables stands between the command and the host network, and the command sees the host\'s files with the worker\'s user (development only)');
  }
  const masked = setup?.masked ?? [];
  if (setup && setup.maskedCount > masked.length) masked.push(`... and ${setup.maskedCount - masked.length} more`);
  const landlock = !contained
    ? { abi: null, note: 'backend none: no Landlock' }
    : setup && setup.landlock > 0
      ? { abi: setup.landlock }
      : { abi: null, note: setup?.landlockWhy || 'unknown' };
  return {
    ...policy.effective,
    notes,
    filesystem: { ...prepared.view, masked },
    limits: appliedLimits(policy.limits, {
      cgroup: prepared.cgroup ? { pids: prepared.cgroup.pids } : null,
      cgroupWhy: support.ok ? 'the run\'s cgroup could not be created' : support.reason,
      hostRoot: prepared.identity.uid === 0,
      contained,
    }),
    backstops: {
      userNamespace: contained,
      hostUid: prepared.identity.uid,
      hostGid: prepared.identity.gid,
      capabilities: contained ? 'none' : 'unchanged',
      seccomp: contained,
      landlock,
    },
  };
}

function interpretExit(
  reported: ReportedExit | null,
  outcome: { code: number | null; signal: NodeJS.Signals | null },
  stopReason: 'timeout' | 'cancelled' | null,
  stderr: BoundedOutput,
  backend: Backend,
): { exitCode: number | null; signal: string | null; termination: Termination } {
  if (reported?.setupError !== undefined) {
    // The command never started: the sandbox could not be made as promised, or its input was wrong.
    const input = /^input: /.exec(reported.setupError);
    if (input) throw new SandboxInputError(reported.setupError.slice(input[0].length));
    throw new SandboxBackendError(backend, `backend ${backend} could not contain the run, so nothing ran: ${reported.setupError}`);
  }
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
