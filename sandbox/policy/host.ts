// Host canonicalization (docs/policy.md, "Canonicalization"). One function, used for matching, dialing, recording and the
// forwarded authority alike, so that what we check is exactly what we connect to.
// Pure: the global URL does UTS46/IDNA and the inet_aton-style IPv4 spellings; no node builtins.

import { decodePunycode } from './punycode';

export type HostKind = 'ipv4' | 'ipv6' | 'name';
export type CanonicalHost = { kind: HostKind; host: string }; // ipv6 host is unbracketed RFC 5952 text
export type HostProblem = { problem: string }; // one line, says what is wrong

export function isHostProblem<T extends object = CanonicalHost>(x: T | HostProblem): x is HostProblem {
  return (x as HostProblem).problem !== undefined;
}

const MAX_LABEL = 63;
const MAX_NAME = 253;

// C0 controls, DEL, C1 controls, and any Unicode white space (U+3000 etc. map to a space under UTS46).
const CONTROL_OR_SPACE = /[\u0000-\u001f\u007f-\u009f]|\s/u;
// Characters a host may never contain, before IDNA mapping (brackets are handled with IPv6).
const FORBIDDEN = /[%/\\@#?()[\]{}|!,*]/;
const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const LABEL = /^[a-z0-9_-]+$/;
// WHATWG "ends in a number": the last label is decimal digits or 0x-hex. Such a host is an IPv4
// literal or nothing; it is never a name (a resolver would read it as a number).
const NUMERIC_LABEL = /^(\d+|0x[0-9a-f]*)$/i;

function describeChar(ch: string): string {
  const cp = ch.codePointAt(0)!;
  if (ch === ' ') return 'a space';
  if (cp === 0) return 'a NUL';
  if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) return `a control character (U+${cp.toString(16).toUpperCase().padStart(4, '0')})`;
  if (/\s/u.test(ch)) return `white space (U+${cp.toString(16).toUpperCase().padStart(4, '0')})`;
  return `'${ch}'`;
}

/** Canonicalize a raw host (no port). Never throws: a problem is returned as a value. */
export function canonicalizeHost(raw: string): CanonicalHost | HostProblem {
  if (typeof raw !== 'string') return { problem: 'the host is not a string' };
  if (raw === '') return { problem: 'the host is empty' };
  const bad = CONTROL_OR_SPACE.exec(raw);
  if (bad) return { problem: `the host contains ${describeChar(bad[0])}` };

  // IPv6 is recognised by its brackets or its colons, before any name handling.
  if (raw.startsWith('[') || raw.includes(':')) return canonicalizeIPv6(raw);
  if (raw.includes(']')) return { problem: "the host contains ']'" };

  const forbidden = FORBIDDEN.exec(raw);
  if (forbidden) return { problem: `the host contains ${describeChar(forbidden[0])}` };

  // The WHATWG host parser reads every inet_aton spelling (127.1, 2130706433, 0x7f.1, 0177.0.0.1)
  // as IPv4 and maps names through UTS46 to lowercase ASCII. Our own checks above run first
  // because it percent-decodes and tolerates characters we refuse.
  let ascii: string;
  try {
    ascii = new URL(`http://${raw}/`).hostname;
  } catch {
    return { problem: whyUrlRefused(raw) };
  }
  if (DOTTED_QUAD.test(ascii)) return { kind: 'ipv4', host: ascii };
  if (!punycodeLabelsValid(ascii)) return { problem: whyUrlRefused(raw) };
  return checkName(ascii);
}

/**
 * Every `xn--` label decodes as Punycode to non-ASCII text that maps back to the same label.
 * Node's URL parser checked this itself up to Node 22 and no longer does from Node 24
 * (sandbox/policy/punycode.ts): the same name must be refused on every Node.
 */
function punycodeLabelsValid(ascii: string): boolean {
  for (const label of ascii.toLowerCase().split('.')) {
    if (!label.startsWith('xn--')) continue;
    const text = decodePunycode(label.slice(4));
    if (text === null || text === '' || /^[\x00-\x7f]*$/.test(text)) return false;
    try {
      if (new URL(`http://${text}/`).hostname !== label) return false;
    } catch {
      return false;
    }
  }
  return true;
}

function whyUrlRefused(raw: string): string {
  const labels = (raw.endsWith('.') ? raw.slice(0, -1) : raw).split('.');
  const last = labels[labels.length - 1].normalize('NFKC');
  if (NUMERIC_LABEL.test(last)) {
    return `'${raw}' ends in a number but is not a valid IPv4 address`;
  }
  return `'${raw}' is not a valid host name (IDNA/UTS46 refuses it)`;
}

function checkName(ascii: string): CanonicalHost | HostProblem {
  // One trailing dot is the DNS root and means the same name; a second one is an empty label.
  let name = ascii.toLowerCase();
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (name === '') return { problem: 'the host is only a dot' };
  if (name.endsWith('.')) return { problem: `'${ascii}' ends in more than one dot` };
  if (name.startsWith('.')) return { problem: `'${ascii}' starts with a dot` };
  if (name.length > MAX_NAME) return { problem: `the name is ${name.length} characters long, more than ${MAX_NAME}` };
  const labels = name.split('.');
  for (const label of labels) {
    if (label === '') return { problem: `'${ascii}' has an empty label` };
    if (label.length > MAX_LABEL) return { problem: `the label '${label}' is ${label.length} bytes long, more than ${MAX_LABEL}` };
    if (!LABEL.test(label)) return { problem: `the label '${label}' has characters other than letters, digits, '-' and '_'` };
  }
  if (NUMERIC_LABEL.test(labels[labels.length - 1])) {
    return { problem: `'${ascii}' ends in a number but is not a valid IPv4 address` };
  }
  return { kind: 'name', host: name };
}

function canonicalizeIPv6(raw: string): CanonicalHost | HostProblem {
  let inner = raw;
  if (raw.startsWith('[')) {
    if (!raw.endsWith(']')) return { problem: `'${raw}' opens a bracket it does not close` };
    inner = raw.slice(1, -1);
  }
  if (inner.includes('[') || inner.includes(']')) return { problem: `'${raw}' has brackets inside the address` };
  if (inner.includes('%')) return { problem: `'${raw}' has a zone id (%...): zone ids are not allowed, write the address alone` };
  if (!inner.includes(':')) return { problem: `'${raw}' is in brackets but is not an IPv6 address (brackets are only for IPv6)` };
  if (!/^[0-9a-fA-F:.]+$/.test(inner)) return { problem: `'${raw}' is not a valid IPv6 address` };
  // The WHATWG IPv6 parser is strict (dotted tail must be four decimal parts) and serializes to
  // the RFC 5952 compressed lowercase form. (ipaddr.js misreads '::127.0.0.1' as IPv4-mapped.)
  let text: string;
  try {
    text = new URL(`http://[${inner}]/`).hostname.slice(1, -1);
  } catch {
    return { problem: `'${raw}' is not a valid IPv6 address` };
  }
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(text);
  if (mapped) {
    // IPv4-mapped IPv6 is the IPv4 address: one spelling, so an IPv4 rule cannot be sidestepped.
    const hi = parseInt(mapped[1], 16);
    const lo = parseInt(mapped[2], 16);
    return { kind: 'ipv4', host: `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}` };
  }
  return { kind: 'ipv6', host: text };
}

