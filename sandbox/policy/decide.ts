// The decision for one connection attempt (docs/policy.md, "The decision"), in the normative order: malformed,
// denylisted (deny always wins), not-allowlisted, then the internal-address backstop per address.
import type { IPv4, IPv6 } from 'ipaddr.js';
import type { RefusalReason } from '../types';
import { formatHostPort, splitHostPort } from './authority';
import type { CompiledPolicy } from './ceiling';
import { addressEntryContains, entryMatchesName, parseAddress } from './entry';
import type { Entry } from './entry';
import { canonicalizeHost, isHostProblem } from './host';
import { printable } from '../vocabulary';
import type { HostKind } from './host';
import { internalRangeOf } from './internal';

export type Target = { host: string; kind: HostKind; port: number; addresses?: readonly string[] };
export type Decision =
  | { allowed: true; rule?: string; address?: string }
  | { allowed: false; reason: RefusalReason; rule?: string; address?: string; message: string };

function refuse(reason: RefusalReason, message: string, extra: { rule?: string; address?: string } = {}): Decision {
  const d: Decision = { allowed: false, reason, message };
  if (extra.rule !== undefined) d.rule = extra.rule;
  if (extra.address !== undefined) d.address = extra.address;
  return d;
}

/**
 * Decide one attempt. A name target without `addresses` gets the name-level checks only: an
 * allowed result without an address means "resolve it (every A and AAAA), then ask again with
 * the answers". `self` lists the proxies' own listeners as 'ip:port' (or '[v6]:port').
 */
export function decide(policy: CompiledPolicy, target: Target, self?: readonly string[]): Decision {
  // 1. Malformed. The host is canonicalized again here, so a raw host cannot slip past a rule.
  const port = target.port;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    return refuse('malformed', `${printable(String(target.host))}:${String(port)} has an invalid port (1-65535)`);
  }
  const c = canonicalizeHost(target.host);
  if (isHostProblem(c)) return refuse('malformed', `${printable(formatHostPort(String(target.host), port))} is malformed: ${c.problem}`);
  const shown = formatHostPort(c.host, port);
  if (policy.mode === 'blocked') return refuse('not-allowlisted', `${shown} refused: networkMode is 'blocked'`);
  const isName = c.kind === 'name';
  const allowlist = policy.mode === 'allowlist';

  // 2. Deny by name first (it needs no resolution).
  if (isName) {
    const d = policy.deny.find((e) => entryMatchesName(e, c.host, port));
    if (d) return refuse('denylisted', `${shown} is denylisted by '${d.text}'`, { rule: d.text });
  }

  // 3. (name stage) The allowlist by name; the caller resolves and asks again with addresses.
  const nameRule = isName && allowlist ? policy.allow.find((e) => entryMatchesName(e, c.host, port)) : undefined;
  if (isName && target.addresses === undefined) {
    if (!allowlist) return { allowed: true };
    if (!nameRule && !policy.report) return refuse('not-allowlisted', `${shown} is not on the allowlist`);
    if (!nameRule) return { allowed: true };
    return { allowed: true, rule: nameRule.text };
  }

  // Every address, parsed once. An IP target is its own single address.
  const texts = isName ? (target.addresses as readonly string[]) : [c.host];
  if (texts.length === 0) return refuse('resolve-failed', `${shown}: the name resolved to no address`);
  const addrs: { text: string; ip: IPv4 | IPv6 }[] = [];
  for (const raw of texts) {
    const a = typeof raw === 'string' ? canonicalizeHost(raw) : { problem: 'not a string' };
    if (isHostProblem(a) || a.kind === 'name') {
      return refuse('malformed', `${shown}: '${printable(String(raw))}' is not an IP address`, { address: String(raw) });
    }
    addrs.push({ text: a.host, ip: parseAddress(a.host) as IPv4 | IPv6 });
  }

  // 2. Deny by any address the name resolves to: one bad answer poisons the name.
  for (const a of addrs) {
    const d = policy.deny.find((e) => e.kind === 'address' && addressEntryContains(e, a.ip, port));
    if (d) return refuse('denylisted', `${shown} is denylisted by '${d.text}' (address ${a.text})`, { rule: d.text, address: a.text });
  }

  // 3. The allowlist: names by name entries, addresses by address entries.
  const explicit = (ip: IPv4 | IPv6): Entry | undefined =>
    policy.allow.find((e) => e.kind === 'address' && addressEntryContains(e, ip, port));
  let rule: Entry | undefined;
  if (allowlist) {
    rule = isName ? nameRule : explicit(addrs[0].ip);
    // Report mode: the allowlist passes everything; the backstop below still applies.
    if (!rule && !policy.report) return refuse('not-allowlisted', `${shown} is not on the allowlist`, isName ? {} : { address: c.host });
  }

  // 4. The backstop, per address: dial the first one that passes, never the name.
  const selfSet = selfAddresses(self);
  let skipped: { text: string; why: string } | undefined;
  for (const a of addrs) {
    let why: string | null = null;
    if (selfSet.has(`${a.text}|${port}`)) why = "the proxy's own listening address";
    else if (allowlist) {
      const range = internalRangeOf(a.ip);
      if (range !== null && !explicit(a.ip)) why = `${range}, not public, and no IP or CIDR entry allows it`;
    }
    if (why === null) return rule ? { allowed: true, rule: rule.text, address: a.text } : { allowed: true, address: a.text };
    skipped ??= { text: a.text, why };
  }
  const s = skipped as { text: string; why: string };
  // A name says what it resolved to; an address target is its own subject.
  const others = addrs.length > 1 ? `, as is every other address it resolves to (${addrs.length} in all)` : '';
  const message = isName ? `${shown} resolves to ${s.text}, which is ${s.why}${others}` : `${shown} is ${s.why}`;
  return refuse('internal-address', message, {
    ...(rule ? { rule: rule.text } : {}),
    address: s.text,
  });
}

/**
 * For the stub DNS (docs/policy.md, "The stub DNS"): may a connection to this name pass on some
 * port? The name stage of decide() with the port left open: refused when a deny entry for every
 * port matches the name, or in allowlist posture when no allow entry matches it on any port.
 */
export function decideName(policy: CompiledPolicy, name: string): Decision {
  const c = canonicalizeHost(name);
  if (isHostProblem(c)) return refuse('malformed', `${printable(name)} is malformed: ${c.problem}`);
  if (c.kind !== 'name') return refuse('malformed', `${c.host} is an address, not a name to look up`);
  if (policy.mode === 'blocked') return refuse('not-allowlisted', `${c.host} refused: networkMode is 'blocked'`);
  const d = policy.deny.find((e) => e.port === null && entryMatchesName(e, c.host, 1));
  if (d) return refuse('denylisted', `${c.host} is denylisted by '${d.text}'`, { rule: d.text });
  if (policy.mode !== 'allowlist' || policy.report) return { allowed: true };
  const rule = policy.allow.find((e) => entryMatchesName(e, c.host, e.port ?? 1));
  if (!rule) return refuse('not-allowlisted', `${c.host} is not on the allowlist (on any port)`);
  return { allowed: true, rule: rule.text };
}

function selfAddresses(self: readonly string[] | undefined): Set<string> {
  const out = new Set<string>();
  for (const text of self ?? []) {
    const hp = splitHostPort(text);
    if (isHostProblem(hp)) continue;
    const h = canonicalizeHost(hp.host);
    if (isHostProblem(h) || h.kind === 'name') continue;
    out.add(`${h.host}|${hp.port}`);
    // Connecting to the unspecified address reaches the local host (Linux treats 0.0.0.0 and ::
    // as loopback), so a listener on loopback is also behind those.
    if (h.host === '127.0.0.1') out.add(`0.0.0.0|${hp.port}`);
    if (h.host === '::1') out.add(`::|${hp.port}`);
  }
  return out;
}
