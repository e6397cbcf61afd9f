// Allowlist and denylist entries (docs/policy.md, "Entries"): parsed strictly, and refused unless already
// canonical, so the list a user reads is the list that is enforced.
import ipaddr from 'ipaddr.js';
import type { IPv4, IPv6 } from 'ipaddr.js';
import { SandboxPolicyError } from '../errors';
import { authorityParts, formatHostPort, parsePort } from './authority';
import { canonicalizeHost, isHostProblem } from './host';
import { printable } from '../vocabulary';
import type { CanonicalHost } from './host';
import { PRESETS } from './presets';

export type AddressEntry = { kind: 'address'; text: string; range: [IPv4 | IPv6, number]; port: number | null };
export type NameEntry = { kind: 'name'; text: string; name: string; wildcard: boolean; port: number | null };
export type Entry = AddressEntry | NameEntry;

const STRICT_QUAD = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;

class EntryRefused extends Error {}

/** Parse one entry; a preset expands to its entries. Throws SandboxPolicyError. */
export function parseEntry(text: string, listName: string): Entry[] {
  if (typeof text !== 'string') {
    throw new SandboxPolicyError(`${listName} entry ${printable(String(text))} is not a string: write entries as strings such as 'pypi.org:443'`, {
      entry: String(text),
    });
  }
  try {
    return parseChecked(text);
  } catch (e) {
    if (!(e instanceof EntryRefused)) throw e;
    // One line whatever the entry holds: control characters are shown escaped.
    throw new SandboxPolicyError(printable(`${listName} entry '${text}' ${e.message}`), { entry: text });
  }
}

/** Does a name entry match this canonical name and port? `*.a.com` never matches `a.com`. */
export function entryMatchesName(e: Entry, name: string, port: number): boolean {
  if (e.kind !== 'name') return false;
  if (e.port !== null && e.port !== port) return false;
  return e.wildcard ? name.endsWith(`.${e.name}`) : name === e.name;
}

/** Does an address entry match this address (any spelling) and port? */
export function entryMatchesAddress(e: Entry, address: string, port: number): boolean {
  if (e.kind !== 'address') return false;
  const ip = parseAddress(address);
  return ip !== null && addressEntryContains(e, ip, port);
}

/** Parsed form of an address, IPv4-mapped folded to IPv4; null if it is not an IP. */
export function parseAddress(address: string): IPv4 | IPv6 | null {
  const c = canonicalizeHost(address);
  if (isHostProblem(c) || c.kind === 'name') return null;
  return ipaddr.parse(c.host);
}

/** The matching step on an already parsed address (decide parses each address once). */
export function addressEntryContains(e: AddressEntry, ip: IPv4 | IPv6, port: number): boolean {
  if (e.port !== null && e.port !== port) return false;
  return ip.kind() === e.range[0].kind() && ip.match(e.range);
}

// ---------------------------------------------------------------------------------------------

function parseChecked(text: string): Entry[] {
  if (text === '') throw new EntryRefused('is empty: write an address, a CIDR, a name or a preset');
  const trimmed = text.trim();
  if (trimmed !== text && trimmed !== '') {
    let fixed: string | undefined;
    try {
      const entries = parseChecked(trimmed);
      fixed = trimmed.startsWith('@') ? trimmed : entries[0].text;
    } catch {
      /* fall through to the general refusal */
    }
    if (fixed !== undefined) throw new EntryRefused(`has white space around it: write '${fixed}'`);
  }
  if (text.startsWith('@')) return parsePreset(text);
  if (text.includes('://')) {
    let host = '';
    try {
      host = new URL(text).hostname;
    } catch {
      /* no suggestion */
    }
    throw new EntryRefused(`is a URL: an entry is a host, address or CIDR, optionally with ':PORT'${host ? `; write '${host}'` : ''}`);
  }
  return [parseSingle(text)];
}

function parsePreset(text: string): Entry[] {
  const known = Object.keys(PRESETS);
  const colon = text.indexOf(':');
  if (colon >= 0 && PRESETS[text.slice(0, colon)]) {
    throw new EntryRefused(`gives a port to a preset, which takes none: write '${text.slice(0, colon)}'`);
  }
  const preset = PRESETS[text];
  if (!preset) {
    const lower = text.toLowerCase();
    if (PRESETS[lower]) throw new EntryRefused(`is not canonical: write '${lower}'`);
    throw new EntryRefused(`is an unknown preset: the known presets are ${known.map((k) => `'${k}'`).join(', ')}`);
  }
  return preset.map((t) => parseSingle(t));
}

function parseSingle(text: string): Entry {
  // Split off the port. IPv6 takes a port only inside brackets: `[2001:db8::1]:443`; without
  // them it is an address or CIDR with no port.
  const parts = authorityParts(text);
  if ('unclosed' in parts) throw new EntryRefused("opens a bracket it does not close: write '[2001:db8::1]:443' for an IPv6 address with a port");
  if ('afterBracket' in parts) throw new EntryRefused(`has '${parts.afterBracket}' after the brackets: write '[address]:PORT'`);
  const { host: hostPart, portText, bracketed } = parts;

  let port: number | null = null;
  if (portText !== undefined) {
    port = parsePort(portText);
    if (port === null) {
      const n = /^\d+$/.test(portText) ? Number(portText) : NaN;
      if (n >= 1 && n <= 65535) port = n; // leading zeros: caught below as non-canonical
      else throw new EntryRefused(`has port '${portText}': a port is a decimal number from 1 to 65535, as in 'pypi.org:443'`);
    }
  }

  if (hostPart.includes('/')) {
    const before = canonicalizeHost(hostPart.slice(0, hostPart.indexOf('/')));
    if (!isHostProblem(before) && before.kind === 'name') {
      throw new EntryRefused(`has a '/' after a name: an entry is a host, not a URL; write '${before.host}'`);
    }
  }
  const entry = hostPart.includes('/') ? parseCidr(hostPart, port, bracketed) : parseHost(hostPart, port);
  if (entry.text !== text) throw new EntryRefused(`is not canonical: write '${entry.text}'`);
  return entry;
}

function parseHost(hostPart: string, port: number | null): Entry {
  if (hostPart === '*' || hostPart === '*.') {
    throw new EntryRefused("is a bare wildcard: write '*.example.com' for the subdomains of a name (networkMode 'open' allows everything)");
  }
  let wildcard = false;
  let host = hostPart;
  if (hostPart.startsWith('*.')) {
    wildcard = true;
    host = hostPart.slice(2);
  }
  if (host.includes('*')) {
    throw new EntryRefused("has a wildcard that is not a leading '*.': the only wildcard is a leading '*.', as in '*.example.com'");
  }
  const c = canonicalizeHost(host);
  if (isHostProblem(c)) throw new EntryRefused(`is malformed: ${c.problem}`);
  if (wildcard && c.kind !== 'name') {
    throw new EntryRefused(`puts a wildcard on an address: write a CIDR such as '10.0.0.0/8' for a range of addresses`);
  }
  if (c.kind === 'name') {
    if (wildcard && !c.host.includes('.')) {
      throw new EntryRefused(`is a wildcard over a single label, which would match a whole top-level domain: write a wildcard over a name such as '*.example.${c.host}'`);
    }
    const text = `${wildcard ? '*.' : ''}${c.host}${port !== null ? `:${port}` : ''}`;
    return { kind: 'name', text, name: c.host, wildcard, port };
  }
  const ip = ipaddr.parse(c.host);
  const text = addressText(c.host, null, port);
  if (c.kind === 'ipv4' && host.includes(':')) {
    throw new EntryRefused(`is an IPv4-mapped IPv6 address: write the IPv4 address '${text}'`);
  }
  return { kind: 'address', text, range: [ip, c.kind === 'ipv4' ? 32 : 128], port };
}

function parseCidr(hostPart: string, port: number | null, bracketed: boolean): Entry {
  const slash = hostPart.indexOf('/');
  const addrText = hostPart.slice(0, slash);
  const lenText = hostPart.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText)) {
    if (!bracketed && /^\d+:\d+$/.test(lenText)) {
      throw new EntryRefused(`puts a port after an IPv6 CIDR: write '[${addrText}/${lenText.split(':')[0]}]:${lenText.split(':')[1]}'`);
    }
    throw new EntryRefused(`has prefix length '${lenText}': write a decimal number, 0-32 for IPv4 or 0-128 for IPv6, as in '10.0.0.0/8'`);
  }
  const len = Number(lenText);

  let v6: boolean;
  let ip: IPv4 | IPv6;
  if (addrText.includes(':')) {
    const c = canonicalizeHost(addrText);
    if (isHostProblem(c)) throw new EntryRefused(`is malformed: ${c.problem}`);
    if (c.kind === 'ipv4') {
      // IPv4-mapped: one spelling per address, so the IPv4 form is the only one accepted.
      if (len >= 96 && len <= 128) {
        const net = ipaddr.IPv4.networkAddressFromCIDR(`${c.host}/${len - 96}`).toString();
        throw new EntryRefused(`is an IPv4-mapped IPv6 range: write the IPv4 CIDR '${addressText(net, len - 96, port)}'`);
      }
      ip = ipaddr.IPv6.parse(`::ffff:${c.host}`);
    } else {
      ip = ipaddr.parse(c.host);
    }
    v6 = true;
  } else {
    if (!STRICT_QUAD.test(addrText) || !ipaddr.IPv4.isValidFourPartDecimal(addrText)) {
      throw new EntryRefused(`is not a strict CIDR: ${shorthandAdvice(addrText, lenText, port)}`);
    }
    ip = ipaddr.IPv4.parse(addrText);
    v6 = false;
  }
  const max = v6 ? 128 : 32;
  if (len > max) throw new EntryRefused(`has prefix length ${len}, more than ${max}: write a prefix length from 0 to ${max}`);

  const netText = networkText(ip, len);
  const canonical = addressText(netText, len, port);
  const ipText = v6 ? canonicalizeHostText(ip.toString()) : ip.toString();
  if (netText !== ipText) {
    const one = canonicalizeHost(ip.toString()) as CanonicalHost; // IPv4-mapped folds to IPv4 here
    throw new EntryRefused(
      `has host bits set: write '${canonical}' for the network, or '${addressText(one.host, null, port)}' for the one address`,
    );
  }
  return { kind: 'address', text: canonical, range: [ipaddr.parse(netText), len], port };
}

function shorthandAdvice(addrText: string, lenText: string, port: number | null): string {
  const generic = `write the network address as four decimal numbers without leading zeros, as in '10.0.0.0/8'`;
  if (!/^(0|[1-9]\d{0,2})(\.(0|[1-9]\d{0,2})){0,3}$/.test(addrText)) return generic;
  const parts = addrText.split('.');
  while (parts.length < 4) parts.push('0');
  const padded = parts.join('.');
  const len = Number(lenText);
  if (!ipaddr.IPv4.isValidFourPartDecimal(padded) || len > 32) return generic;
  if (networkText(ipaddr.IPv4.parse(padded), len) !== padded) return generic;
  return `write the network address as a full dotted quad: '${addressText(padded, len, port)}'`;
}

function networkText(ip: IPv4 | IPv6, len: number): string {
  const bytes = ip.toByteArray();
  for (let bit = len; bit < bytes.length * 8; bit++) bytes[bit >> 3] &= ~(0x80 >> (bit & 7));
  const net = ipaddr.fromByteArray(bytes);
  return net.kind() === 'ipv6' ? canonicalizeHostText(net.toString()) : net.toString();
}

// ipaddr's IPv6 text is re-read through canonicalizeHost so that one serializer is authoritative.
function canonicalizeHostText(v6: string): string {
  const c = canonicalizeHost(v6);
  return isHostProblem(c) ? v6 : c.kind === 'ipv4' ? `::ffff:${c.host}` : c.host;
}

/** An address entry's text: the address or CIDR, with its port as an authority writes it. */
function addressText(addr: string, len: number | null, port: number | null): string {
  const body = len === null ? addr : `${addr}/${len}`;
  return port === null ? body : formatHostPort(body, port);
}
