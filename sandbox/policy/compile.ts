// A run's policy from its three ceilings (docs/policy.md, "Narrowing"): the worker's, then the
// session's, then the per-call override, each at most the one before. Broadening is an error
// naming the entry and the ceiling, never clipped.
import { SandboxPolicyError } from '../errors';
import { checkBackend, DEFAULT_BACKEND } from '../vocabulary';
import type { CompiledPolicy, FilesystemCeiling, PerCallNetwork, SessionCeiling, WorkerCeiling } from './ceiling';
import { dedupe, flat, parseList, requireCovered } from './entry-lists';
import { resolveLimits } from './limits';
import { checkMode, rank } from './mode';
import { notesFor } from './notes';
import { checkPathList, requirePathsWithin } from './paths';
import { checkProxyUrl } from './proxy-url';
import { compileWorkerCeiling, type CompiledWorkerCeiling } from './worker-ceiling';

export function compilePolicy(
  session: SessionCeiling,
  call?: PerCallNetwork,
  workerCeiling?: WorkerCeiling | CompiledWorkerCeiling,
): CompiledPolicy {
  session = session ?? {};
  const worker = compileWorkerCeiling(workerCeiling);

  const backend = checkBackend(session.backend ?? DEFAULT_BACKEND);
  if (worker.backends && !worker.backends.includes(backend)) {
    throw new SandboxPolicyError(
      `backend '${backend}' is not allowed by the worker ceiling (allowed: ${worker.backends.join(', ') || 'none'}): choose one of those`,
      { entry: backend, ceiling: 'worker backends' },
    );
  }
  const { readOnlyPaths, readWritePaths } = compilePaths(session, call, worker);
  const limits = resolveLimits(session.limits, worker.limits);

  // The worker's posture is the most a session may ask for.
  const sessionMode = checkMode(session.networkMode, 'networkMode', 'blocked');
  if (rank(sessionMode) > rank(worker.maxMode)) {
    throw new SandboxPolicyError(
      `networkMode '${sessionMode}' exceeds the worker ceiling maxNetworkMode '${worker.maxMode}': write '${worker.maxMode}' or narrower`,
      { entry: sessionMode, ceiling: 'worker ceiling' },
    );
  }
  const sessionAllowList = parseList(session.networkAllowlist, 'networkAllowlist');
  const sessionAllow = flat(sessionAllowList);
  const sessionDeny = flat(parseList(session.networkDenylist, 'networkDenylist'));
  if (worker.allow) requireCovered(sessionAllowList, worker.allow, 'networkAllowlist', 'worker allowlist');
  // An allowlist a blocked session could never use is a mistake (a forgotten networkMode), not a
  // no-op. (A denylist is harmless there, and often shared by every session of an application.)
  if (sessionMode === 'blocked' && sessionAllow.length > 0) {
    throw new SandboxPolicyError(
      "networkAllowlist has no effect with networkMode 'blocked' (no network at all): write networkMode 'allowlist', or drop the allowlist",
      { entry: 'networkAllowlist' },
    );
  }

  // Bring-your-own proxy: checked on the session, where it is declared.
  const byo = session.networkProxyUrl !== undefined || session.networkSocksUrl !== undefined;
  if (byo) {
    if (session.networkProxyUrl === undefined) {
      throw new SandboxPolicyError('networkSocksUrl needs networkProxyUrl as well: give both, or neither', { entry: String(session.networkSocksUrl) });
    }
    if (!worker.allowProxyUrls) {
      throw new SandboxPolicyError(
        'networkProxyUrl is not allowed by the worker ceiling (a proxy of your own bypasses the worker denylist): remove it, or set allowProxyUrls on the worker',
        { entry: String(session.networkProxyUrl), ceiling: 'worker ceiling' },
      );
    }
    if (sessionMode === 'blocked') {
      throw new SandboxPolicyError(
        "networkProxyUrl has no effect with networkMode 'blocked' (no network at all): write networkMode 'allowlist' or 'open', or remove the proxy URLs",
        { entry: String(session.networkProxyUrl) },
      );
    }
    checkProxyUrl(session.networkProxyUrl, 'networkProxyUrl', 'http:');
    if (session.networkSocksUrl !== undefined) checkProxyUrl(session.networkSocksUrl, 'networkSocksUrl', 'socks5h:');
  }

  const report = checkReport(session.report, sessionMode, byo, worker.allow !== null && worker.allow !== undefined);

  // Per-call override: at most the session.
  if (call?.networkDenylist !== undefined) {
    throw new SandboxPolicyError(
      'run() cannot pass networkDenylist: the denylist is set on the session only (and on the worker) and is always inherited; move it to the session',
      { entry: 'networkDenylist' },
    );
  }
  const mode = checkMode(call?.networkMode, 'run() networkMode', sessionMode);
  if (rank(mode) > rank(sessionMode)) {
    throw new SandboxPolicyError(
      `run() networkMode '${mode}' exceeds the session networkMode '${sessionMode}' (blocked < allowlist < open): write '${sessionMode}' or narrower`,
      { entry: mode, ceiling: 'session networkMode' },
    );
  }
  let allow = sessionAllow;
  if (call?.networkAllowlist !== undefined) {
    if (mode !== 'allowlist') {
      throw new SandboxPolicyError(
        `run() networkAllowlist applies only with networkMode 'allowlist', and this run's networkMode is '${mode}': pass networkMode 'allowlist' with it, or drop it`,
        { entry: 'networkAllowlist' },
      );
    }
    if (byo) {
      // It could not be enforced: the given proxy decides. Refusing beats ignoring a narrowing.
      throw new SandboxPolicyError(
        'run() networkAllowlist cannot narrow a session that uses its own proxy (networkProxyUrl): no allowlist of ours applies; drop it, or drop the proxy URLs',
        { entry: 'networkAllowlist' },
      );
    }
    const callList = parseList(call.networkAllowlist, 'run() networkAllowlist');
    // A session in 'open' posture or report mode covers everything; the worker allowlist still bounds the run.
    if (sessionMode !== 'open' && !report) requireCovered(callList, sessionAllow, 'run() networkAllowlist', 'session allowlist');
    if (worker.allow) requireCovered(callList, worker.allow, 'run() networkAllowlist', 'worker allowlist');
    allow = flat(callList);
  }
  if (mode !== 'allowlist') allow = [];
  // A call that names its own posture or allowlist narrows report mode away.
  const reporting = report && mode === 'allowlist' && call?.networkMode === undefined && call?.networkAllowlist === undefined;

  const deny = dedupe([...worker.deny, ...sessionDeny]);
  const proxyUrl = byo && mode !== 'blocked' ? (session.networkProxyUrl as string) : null;
  const socksUrl = proxyUrl !== null ? (session.networkSocksUrl ?? null) : null;

  return {
    backend,
    mode,
    report: reporting,
    allow,
    deny,
    proxyUrl,
    socksUrl,
    readOnlyPaths,
    readWritePaths,
    limits,
    effective: {
      mode,
      allowlist: allow.map((e) => e.text),
      denylist: deny.map((e) => e.text),
      proxyUrl,
      socksUrl,
      notes: notesFor(mode, deny.length > 0, proxyUrl !== null, reporting),
      ...(reporting ? { report: true as const } : {}),
    },
  };
}

/** Report mode allows every public destination: only an allowlist session of ours, under no worker allowlist. */
function checkReport(value: unknown, mode: string, byo: boolean, workerAllowlist: boolean): boolean {
  if (value === undefined || value === false) return false;
  if (value !== true) throw new SandboxPolicyError(`report must be true or false, not ${JSON.stringify(value)}`, { entry: 'report' });
  if (mode !== 'allowlist') {
    throw new SandboxPolicyError(`report applies only with networkMode 'allowlist', and this session's is '${mode}': write networkMode 'allowlist'`, { entry: 'report' });
  }
  if (byo) throw new SandboxPolicyError('report cannot apply with networkProxyUrl: the given proxy decides, not ours; drop one of them', { entry: 'report' });
  if (workerAllowlist) {
    throw new SandboxPolicyError('report is not allowed under a worker allowlist (it would allow what the worker does not): list the destinations instead', {
      entry: 'report', ceiling: 'worker allowlist',
    });
  }
  return true;
}

/** The view's extra host paths: worker prefixes, then the session, then the per-call narrowing. */
function compilePaths(session: FilesystemCeiling, call: PerCallNetwork | undefined, worker: CompiledWorkerCeiling) {
  let readOnlyPaths = checkPathList(session.readOnlyPaths, 'readOnlyPaths');
  let readWritePaths = checkPathList(session.readWritePaths, 'readWritePaths', true);
  if (worker.allowedPaths) {
    requirePathsWithin(readOnlyPaths, worker.allowedPaths, 'readOnlyPaths', 'worker allowedPaths');
    requirePathsWithin(readWritePaths, worker.allowedPaths, 'readWritePaths', 'worker allowedPaths');
  }
  if (call?.readOnlyPaths !== undefined) {
    const narrowed = checkPathList(call.readOnlyPaths, 'run() readOnlyPaths');
    requirePathsWithin(narrowed, [...readOnlyPaths, ...readWritePaths], 'run() readOnlyPaths', 'session paths');
    readOnlyPaths = narrowed;
  }
  if (call?.readWritePaths !== undefined) {
    const narrowed = checkPathList(call.readWritePaths, 'run() readWritePaths', true);
    requirePathsWithin(narrowed, readWritePaths, 'run() readWritePaths', 'session readWritePaths');
    readWritePaths = narrowed;
  }
  // A path given read-write and read-only is read-write once; its read-only copy would hide nothing.
  readOnlyPaths = readOnlyPaths.filter((p) => !readWritePaths.includes(p));
  return { readOnlyPaths, readWritePaths };
}
