// The smallest allowlist that would have allowed what a run did (docs/policy.md, "Learning an
// allowlist"): used by `temporal-sandbox learn` on one run in report mode and by `audit
// --suggest-allowlist` on a workflow's recorded runs. Pure: the workflow side may load it.
import { formatHostPort } from './authority';
import { parseEntry } from './entry';
import { canonicalizeHost, isHostProblem } from './host';
import { internalRange } from './internal';
import type { AllowedRecord, DeniedRecord, RefusalReason } from '../types';

/** One destination a run needed: a port, or null where only a name was looked up (DNS). */
export type Needed = { host: string; port: number | null };

export type Suggestion = {
  /** Canonical entries, names first (sorted), then addresses. */
  entries: string[];
  /** Names whose address was internal: a name entry alone would meet the backstop. */
  internal: { host: string; address: string }[];
};

/**
 * Names with their ports (`pypi.org:443`, one entry per port seen; a name only looked up gets
 * no port); several siblings under one parent of two labels or more, seen on the same ports,
 * collapse to `*.parent` (never `*.com`); addresses as `ip:port`. Every entry is checked by the entry parser.
 */
export function suggestAllowlist(needed: readonly Needed[], addresses: ReadonlyMap<string, string> = new Map()): Suggestion {
  const names = new Map<string, Set<number | null>>();
  const ips = new Map<string, Set<number | null>>();
  for (const n of needed) {
    const c = canonicalizeHost(n.host);
    if (isHostProblem(c)) continue; // a malformed target cannot be allowed by any entry
    const into = c.kind === 'name' ? names : ips;
    const ports = into.get(c.host) ?? new Set<number | null>();
    ports.add(n.port);
    into.set(c.host, ports);
  }

  // Siblings: two or more names directly under the same parent (of two labels at least), seen
  // on the same ports; a wildcard over siblings on different ports would allow each on the others'.
  const portKey = (ports: Set<number | null>): string => [...ports].map(String).sort().join(',');
  const bySiblings = new Map<string, { parent: string; children: string[] }>();
  for (const [name, ports] of names) {
    const dot = name.indexOf('.');
    const parent = dot === -1 ? '' : name.slice(dot + 1);
    if (parent.split('.').length < 2) continue;
    const key = `${parent}|${portKey(ports)}`;
    const group = bySiblings.get(key) ?? { parent, children: [] };
    group.children.push(name);
    bySiblings.set(key, group);
  }
  const grouped = new Map<string, Set<number | null>>();
  const absorbed = new Set<string>();
  for (const { parent, children } of bySiblings.values()) {
    if (children.length < 2) continue;
    const ports = new Set<number | null>(grouped.get(`*.${parent}`) ?? []);
    for (const child of children) {
      for (const p of names.get(child)!) ports.add(p);
      absorbed.add(child);
    }
    grouped.set(`*.${parent}`, ports);
  }
  for (const [name, ports] of names) if (!absorbed.has(name)) grouped.set(name, ports);

  const entries: string[] = [];
  const emit = (host: string, ports: Set<number | null>): void => {
    // A port that was only looked up needs the name on every port; otherwise each port seen.
    if (ports.has(null)) entries.push(host);
    else for (const p of [...ports].sort((a, b) => (a as number) - (b as number))) entries.push(formatHostPort(host, p as number));
  };
  for (const host of [...grouped.keys()].sort()) emit(host, grouped.get(host)!);
  for (const host of [...ips.keys()].sort()) emit(host, ips.get(host)!);
  for (const e of entries) parseEntry(e, 'suggested allowlist'); // never print what we would refuse

  const internal: Suggestion['internal'] = [];
  for (const [host, address] of addresses) {
    if (names.has(host) && internalRange(address) !== null) internal.push({ host, address });
  }
  internal.sort((x, y) => (x.host < y.host ? -1 : x.host > y.host ? 1 : 0));
  return { entries, internal };
}

/** The entries as command-line flags. */
export function allowFlags(entries: readonly string[]): string {
  return entries.map((e) => `--allow ${/^[\w.:\-\[\]]+$/.test(e) ? e : `'${e}'`}`).join(' ');
}

/** Refusals of something the policy did not forbid, or only by not listing it: still needed. */
const NEEDED_REFUSALS: readonly RefusalReason[] = ['not-allowlisted', 'resolve-failed', 'upstream-failed'];

/**
 * What a run needed, from its records: every allowed connection, and every refusal that only an
 * allowlist entry would have changed (a name refused by the stub DNS has no port yet). Refusals
 * by the denylist, the backstop or a limit are not needed: no allowlist entry changes them.
 */
export function neededFromRecords(
  allowed: readonly Pick<AllowedRecord, 'host' | 'port' | 'address'>[],
  denied: readonly DeniedRecord[],
): { needed: Needed[]; addresses: Map<string, string>; notSuggested: DeniedRecord[] } {
  const needed: Needed[] = [];
  const addresses = new Map<string, string>();
  const notSuggested: DeniedRecord[] = [];
  for (const a of allowed) {
    needed.push({ host: a.host, port: a.port });
    if (!addresses.has(a.host)) addresses.set(a.host, a.address);
  }
  for (const d of denied) {
    if (NEEDED_REFUSALS.includes(d.reason)) needed.push({ host: d.host, port: d.proxy === 'dns' ? null : d.port });
    else notSuggested.push(d);
  }
  return { needed, addresses, notSuggested };
}
