// The internal-address backstop's table (docs/policy.md, "The decision", step 4): addresses that are not public.
// A name that resolves here is refused in allowlist posture unless an IP or CIDR entry allows
// the address explicitly, so an allowed name cannot be pointed at the worker's own network.
import ipaddr from 'ipaddr.js';
import type { IPv4, IPv6 } from 'ipaddr.js';
import { canonicalizeHost, isHostProblem } from './host';

type Row = [label: string, cidr: string];

// First match wins: more specific rows come before the ranges that contain them.
const V4: Row[] = [
  ['unspecified', '0.0.0.0/8'],
  ['private', '10.0.0.0/8'],
  ['carrier-grade-nat', '100.64.0.0/10'],
  ['loopback', '127.0.0.0/8'],
  ['link-local', '169.254.0.0/16'],
  ['private', '172.16.0.0/12'],
  ['private', '192.168.0.0/16'],
  ['multicast', '224.0.0.0/4'],
  ['broadcast', '255.255.255.255/32'],
  ['reserved', '240.0.0.0/4'],
];

const V6: Row[] = [
  ['unspecified', '::/128'],
  ['loopback', '::1/128'],
  // Forms that carry an IPv4 address: the IPv4 inside may be anything, including internal.
  ['ipv4-compatible', '::/96'],
  ['ipv4-translated', '::ffff:0:0:0/96'],
  ['nat64', '64:ff9b::/96'],
  ['nat64', '64:ff9b:1::/48'],
  ['6to4', '2002::/16'],
  ['teredo', '2001::/32'],
  ['unique-local', 'fc00::/7'],
  ['link-local', 'fe80::/10'],
  ['site-local', 'fec0::/10'],
  ['multicast', 'ff00::/8'],
];

const parsed4 = V4.map(([label, cidr]) => [label, ipaddr.IPv4.parseCIDR(cidr)] as const);
const parsed6 = V6.map(([label, cidr]) => [label, ipaddr.IPv6.parseCIDR(cidr)] as const);

/** The table's rows, for the tests. */
export const INTERNAL_RANGES: readonly (readonly [string, string])[] = [...V4, ...V6];

/** Why an address is not public ('loopback', 'private', ...), or null for a public address. */
export function internalRange(address: string): string | null {
  const c = canonicalizeHost(address);
  // Anything that is not an IP cannot be dialled; treat it as not public rather than guess.
  if (isHostProblem(c) || c.kind === 'name') return 'reserved';
  return internalRangeOf(ipaddr.parse(c.host));
}

/** Same, on a parsed address. */
export function internalRangeOf(ip: IPv4 | IPv6): string | null {
  if (ip.kind() === 'ipv4') {
    for (const [label, range] of parsed4) if ((ip as IPv4).match(range)) return label;
    return null;
  }
  const v6 = ip as IPv6;
  // IPv4-mapped is the IPv4 address itself (host.ts folds it); judge the IPv4 inside.
  if (v6.isIPv4MappedAddress()) return internalRangeOf(v6.toIPv4Address());
  for (const [label, range] of parsed6) if (v6.match(range)) return label;
  return null;
}
