// Narrowing (DESIGN 3.1): worker ceiling, then session ceiling, then the per-call override, each at
// most the one before. Broadening is an error naming the entry and the ceiling, never clipped.
import { SandboxPolicyError } from '../errors';
import type { NetworkMode, NetworkPolicy } from '../types';
import { covers } from './covers';
import { parseEntry } from './entry';
import { printable } from './host';
import type { Entry } from './entry';
import { resolveLimits, type Limits } from './limits';
import { checkPathList, requirePathsWithin } from './paths';

export type NetworkCeiling = {
  networkMode?: NetworkMode; // default 'blocked'
  networkAllowlist?: readonly string[];
  networkDenylist?: readonly string[];
  networkProxyUrl?: string; // http://host:port (userinfo allowed)
  networkSocksUrl?: string; // socks5h://host:port
};
/** What the view adds to its defaults, and the run's resource limits (docs/policy.md). */
export type FilesystemCeiling = {
  readOnlyPaths?: readonly string[];
  readWritePaths?: readonly string[];
  limits?: Partial<Limits>;
};
export type PerCallNetwork = {
  networkMode?: NetworkMode;
  networkAllowlist?: readonly string[];
  networkDenylist?: unknown;
  /** Narrowing only: each must lie within the session's (read-only ones within either list). */
  readOnlyPaths?: readonly string[];
  readWritePaths?: readonly string[];
};
export type WorkerCeiling = {
  maxNetworkMode?: NetworkMode; // default 'open'
  networkAllowlist?: readonly string[]; // what a session may allow at most; undefined = anything
  networkDenylist?: readonly string[]; // always applied on top of the session's
  allowProxyUrls?: boolean; // default false: BYO proxies bypass the worker denylist
  /** Host path prefixes a session may add to its view; none by default. undefined = anything (the CLI). */
  allowedPaths?: readonly string[];
  /** The most a session may ask for, per limit; defaults above these are lowered to them. */
  limits?: Partial<Limits>;
};
export type CompiledPolicy = {
  mode: NetworkMode;
  allow: Entry[];
  deny: Entry[];
  proxyUrl: string | null;
  socksUrl: string | null;
  readOnlyPaths: string[];
  readWritePaths: string[];
  limits: Limits;
  effective: NetworkPolicy;
};

export const NETWORK_MODES: readonly NetworkMode[] = ['blocked', 'allowlist', 'open'];
const rank = (m: NetworkMode): number => NETWORK_MODES.indexOf(m);

export function compilePolicy(session: NetworkCeiling & FilesystemCeiling, call?: PerCallNetwork, worker?: WorkerCeiling): CompiledPolicy {
  session = session ?? {};
  const { readOnlyPaths, readWritePaths } = compilePaths(session, call, worker);
  const limits = resolveLimits(session.limits, worker?.limits);

  // Worker ceiling: the trust boundary; a session cannot ask for more.
  const maxMode = checkMode(worker?.maxNetworkMode, 'worker maxNetworkMode', 'open');
  const sessionMode = checkMode(session.networkMode, 'networkMode', 'blocked');
  if (rank(sessionMode) > rank(maxMode)) {
    throw new SandboxPolicyError(
      `networkMode '${sessionMode}' exceeds the worker ceiling maxNetworkMode '${maxMode}': write '${maxMode}' or narrower`,
      { entry: sessionMode, ceiling: 'worker ceiling' },
    );
  }
  const workerAllow = worker?.networkAllowlist === undefined ? undefined : flat(parseList(worker.networkAllowlist, 'worker networkAllowlist'));
  const workerDeny = flat(parseList(worker?.networkDenylist, 'worker networkDenylist'));
  const sessionAllowList = parseList(session.networkAllowlist, 'networkAllowlist');
  const sessionAllow = flat(sessionAllowList);
  const sessionDeny = flat(parseList(session.networkDenylist, 'networkDenylist'));
  if (workerAllow) requireCovered(sessionAllowList, workerAllow, 'networkAllowlist', 'worker allowlist');

  // Bring-your-own proxy: checked on the session, where it is declared.
  const byo = session.networkProxyUrl !== undefined || session.networkSocksUrl !== undefined;
  if (byo) {
    if (session.networkProxyUrl === undefined) {
      throw new SandboxPolicyError('networkSocksUrl needs networkProxyUrl as well: give both, or neither', { entry: String(session.networkSocksUrl) });
    }
    if (worker && worker.allowProxyUrls !== true) {
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
    // A session in 'open' posture covers everything; the worker allowlist still bounds the run.
    if (sessionMode !== 'open') requireCovered(callList, sessionAllow, 'run() networkAllowlist', 'session allowlist');
    if (workerAllow) requireCovered(callList, workerAllow, 'run() networkAllowlist', 'worker allowlist');
    allow = flat(callList);
  }
  if (mode !== 'allowlist') allow = [];

  const deny = dedupe([...workerDeny, ...sessionDeny]);
  const proxyUrl = byo && mode !== 'blocked' ? (session.networkProxyUrl as string) : null;
  const socksUrl = proxyUrl !== null ? (session.networkSocksUrl ?? null) : null;

  return {
    mode,
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
      notes: notesFor(mode, deny.length > 0, proxyUrl !== null),
    },
  };
}

/** The view's extra host paths: worker prefixes, then the session, then the per-call narrowing. */
function compilePaths(session: FilesystemCeiling, call: PerCallNetwork | undefined, worker: WorkerCeiling | undefined) {
  const allowed = worker?.allowedPaths === undefined ? undefined : checkPathList(worker.allowedPaths, 'worker allowedPaths');
  let readOnlyPaths = checkPathList(session.readOnlyPaths, 'readOnlyPaths');
  let readWritePaths = checkPathList(session.readWritePaths, 'readWritePaths', true);
  if (allowed) {
    requirePathsWithin(readOnlyPaths, allowed, 'readOnlyPaths', 'worker allowedPaths');
    requirePathsWithin(readWritePaths, allowed, 'readWritePaths', 'worker allowedPaths');
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

function checkMode(value: unknown, setting: string, fallback: NetworkMode): NetworkMode {
  if (value === undefined) return fallback;
  if (typeof value === 'string' && (NETWORK_MODES as readonly string[]).includes(value)) return value as NetworkMode;
  throw new SandboxPolicyError(`${setting} '${printable(String(value))}' is unknown: write 'blocked', 'allowlist' or 'open'`, { entry: String(value) });
}

type Parsed = { raw: string; entries: Entry[] };

function parseList(list: readonly string[] | undefined, listName: string): Parsed[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    throw new SandboxPolicyError(`${listName} must be an array of entries, such as ['pypi.org:443']`, { entry: String(list) });
  }
  return list.map((raw) => ({ raw, entries: parseEntry(raw, listName) }));
}

function flat(list: Parsed[]): Entry[] {
  return dedupe(list.flatMap((p) => p.entries));
}

function dedupe(entries: Entry[]): Entry[] {
  const seen = new Set<string>();
  return entries.filter((e) => !seen.has(e.text) && (seen.add(e.text), true));
}

function requireCovered(list: Parsed[], ceiling: Entry[], listName: string, ceilingName: string): void {
  for (const { raw, entries } of list) {
    for (const e of entries) {
      if (ceiling.some((c) => covers(c, e))) continue;
      const from = raw === e.text ? '' : ` (from '${raw}')`;
      const shown = ceiling.length === 0 ? '[] (empty)' : `[${ceiling.map((c) => `'${c.text}'`).join(', ')}]`;
      throw new SandboxPolicyError(
        `${listName} entry '${e.text}'${from} is not covered by the ${ceilingName} ${shown}: remove it, or widen the ${ceilingName}`,
        { entry: raw, ceiling: ceilingName },
      );
    }
  }
}

function checkProxyUrl(value: unknown, setting: string, scheme: 'http:' | 'socks5h:'): void {
  const example = scheme === 'http:' ? 'http://proxy.example:3128' : 'socks5h://proxy.example:1080';
  const fail = (why: string): never => {
    throw new SandboxPolicyError(`${setting} '${printable(String(value))}' ${why}: write a URL such as '${example}'`, { entry: String(value) });
  };
  if (typeof value !== 'string') return fail('is not a string');
  if (/[\u0000-\u0020\u007f-\u009f]/.test(value)) fail('contains white space or a control character');
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return fail('is not a URL');
  }
  if (u.protocol !== scheme) fail(`has scheme '${u.protocol}', not '${scheme}//'`);
  if (u.hostname === '') fail('has no host');
  if (scheme === 'socks5h:' && u.port === '') fail('has no port');
  if ((u.pathname !== '' && u.pathname !== '/') || u.search !== '' || u.hash !== '') fail('has a path, query or fragment');
}

function notesFor(mode: NetworkMode, hasDeny: boolean, byo: boolean): string[] {
  if (byo) {
    return [
      'bring-your-own proxy: no allowlist or denylist of ours applies',
      mode === 'allowlist'
        ? 'allowlist: a fresh network namespace; the only way out is a bridge to the given proxy'
        : 'open: host network; the proxy variables point at the given proxy, which clients may bypass',
    ];
  }
  switch (mode) {
    case 'blocked':
      return ['blocked: a fresh network namespace with loopback only; the kernel refuses every outbound connection'];
    case 'allowlist':
      return [
        "allowlist: a fresh network namespace; only the run's proxies are reachable, and they refuse what the allowlist does not allow",
        'internal addresses (loopback, private, link-local, ...) are refused unless an IP or CIDR entry allows them explicitly',
        ...(hasDeny ? ['the denylist is checked first and always wins'] : []),
      ];
    case 'open':
      return hasDeny
        ? ['open: host network; the denylist is applied by the proxies to clients that use the proxy variables, it is not a wall']
        : ['open: host network; no proxies, no allowlist or denylist'];
  }
}
