// Coverage between entries (docs/policy.md, "Narrowing"): a narrower list must be covered, entry by entry, by its
// ceiling. Coverage is by what an entry would allow, never by how it is spelled.
import type { Entry } from './entry';

/** Does `ceiling` allow everything `entry` allows (every name/address, every port)? */
export function covers(ceiling: Entry, entry: Entry): boolean {
  // Without a port the ceiling covers every port; with one, only entries limited to that port.
  if (ceiling.port !== null && ceiling.port !== entry.port) return false;
  if (ceiling.kind === 'address' && entry.kind === 'address') {
    const [net, len] = ceiling.range;
    const [addr, addrLen] = entry.range;
    return net.kind() === addr.kind() && addrLen >= len && addr.match(net, len);
  }
  if (ceiling.kind === 'name' && entry.kind === 'name') {
    if (!ceiling.wildcard) return !entry.wildcard && entry.name === ceiling.name;
    // `*.a.com` covers `*.a.com`, `x.a.com` and `*.x.a.com`, never `a.com`.
    return (entry.wildcard && entry.name === ceiling.name) || entry.name.endsWith(`.${ceiling.name}`);
  }
  return false; // a name never covers an address, nor the other way round
}
