// What enforces a run's posture, and what does not, in the words the result carries.
import type { NetworkMode } from '../types';

export function notesFor(mode: NetworkMode, hasDeny: boolean, byo: boolean, report = false): string[] {
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
        ...(report ? ['report mode: every public destination is allowed and recorded, to learn the allowlist; this run was not held to one'] : []),
        'internal addresses (loopback, private, link-local, ...) are refused unless an IP or CIDR entry allows them explicitly',
        ...(hasDeny ? ['the denylist is checked first and always wins'] : []),
      ];
    case 'open':
      return hasDeny
        ? ['open: host network; the denylist is applied by the proxies to clients that use the proxy variables, it is not a wall']
        : ['open: host network; no proxies, no allowlist or denylist'];
  }
}
