// Decides, from the compiled policy and the backend, what a run needs: a fresh network namespace
// or the host network, our proxy pair or a bridge to the user's proxy, and where they listen.
import type { CompiledPolicy } from '../policy';
import type { Backend } from '../types';

/** Inside a fresh namespace every port is free, so the conventional ones serve every run. */
export const HTTP_PORT_INSIDE = 3128;
export const SOCKS_PORT_INSIDE = 1080;

export type EgressPlan =
  /** Nothing leaves: blocked, or open without a denylist. */
  | { kind: 'none' }
  /** Our proxy pair enforces the policy. */
  | { kind: 'proxies' }
  /** The user's proxies, reached through bridges from inside the namespace. */
  | { kind: 'bridge'; http: URL; socks: URL | null }
  /** The user's proxies, named directly in the variables (host network). */
  | { kind: 'direct' };

export type RunPlan = {
  isolateNetwork: boolean;
  egress: EgressPlan;
  /**
   * Where the proxies or bridges listen: inside the namespace (handed out by the helper: reachable
   * from the run alone), or on host loopback with a per-run credential (open posture, backend none).
   */
  listenInside: boolean;
  /**
   * Transparent capture (docs/mechanism.md, "Transparent capture"): the stub DNS and every TCP
   * connection from inside reach the run's decision, proxy variables or not. Allowlist posture
   * with our proxies, in a namespace of the run's own.
   */
  capture: boolean;
};

export function planRun(policy: CompiledPolicy, backend: Backend): RunPlan {
  const namespaces = backend !== 'none';
  const isolateNetwork = namespaces && policy.mode !== 'open';
  const byo = policy.proxyUrl
    ? { http: new URL(policy.proxyUrl), socks: policy.socksUrl ? new URL(policy.socksUrl) : null }
    : null;
  let egress: EgressPlan;
  if (policy.mode === 'blocked') egress = { kind: 'none' };
  else if (byo) egress = isolateNetwork ? { kind: 'bridge', ...byo } : { kind: 'direct' };
  else if (policy.mode === 'allowlist' || policy.deny.length > 0) egress = { kind: 'proxies' };
  else egress = { kind: 'none' };
  const capture = isolateNetwork && egress.kind === 'proxies' && policy.mode === 'allowlist';
  return { isolateNetwork, egress, listenInside: isolateNetwork, capture };
}
