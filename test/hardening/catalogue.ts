// The bypass catalogue: every attack shape the proxies and the sandbox must refuse (or must
// route to exactly one canonical destination), as data. test/hardening/catalogue.test.ts runs
// each case through every entry point it applies to; scripts/catalogue-table.ts prints the
// table of docs/catalogue.md from the same data, and a test keeps the two equal.
//
// Every allowed destination is on loopback. Refused cases may name other addresses (10.0.0.1,
// 169.254.169.254, ...) only because the policy of that case cannot allow them: the proxy
// refuses them before any dial. Names resolve through static answers only (ANSWERS below).

import type { NetworkCeiling } from '../../sandbox/policy';
import type { RefusalReason } from '../../sandbox/types';

export type EntryPoint =
  | 'connect' // HTTP CONNECT host:port
  | 'absolute' // absolute-form http://host:port/ request
  | 'socks-domain' // SOCKS5 ATYP 0x03 (the host text as bytes)
  | 'socks-ipv4' // SOCKS5 ATYP 0x01 (4 bytes)
  | 'socks-ipv6' // SOCKS5 ATYP 0x04 (16 bytes)
  | 'http-raw' // a hand-written HTTP exchange
  | 'socks-raw' // a hand-written SOCKS exchange
  | 'namespace' // from inside a real sandbox (bubblewrap, allowlist posture)
  | 'decide'; // the policy decision alone (a dial would leave loopback)

export type Outcome =
  | { refused: RefusalReason }
  | { allowed: { host: string; address: string } }
  /** Closed without a protocol answer and without a record (not a protocol we speak). */
  | { closed: true }
  /** Fails at once inside the namespace (an errno within a second, never a hang). */
  | { fails: 'at-once' };

export type Category = 'ip-spelling' | 'name' | 'dns' | 'http' | 'socks5' | 'namespace' | 'self';

export type PolicyName = 'names' | 'reach' | 'loopback' | 'open' | 'self';

/** The policies the cases run under. None of them can allow a non-loopback destination. */
export const POLICIES: Record<PolicyName, NetworkCeiling> = {
  // Names only: every IP literal is off the list, every internal answer hits the backstop.
  names: {
    networkMode: 'allowlist',
    networkAllowlist: [
      'api.example.test', '*.wild.example.test', 'internal.example.test', 'mixed.example.test', 'meta.example.test',
      'poison.example.test', 'v6.example.test', 'nat64.example.test', 'sixtofour.example.test', 'teredo.example.test',
      'compat.example.test', 'translated.example.test', 'zero.example.test', 'nowhere.example.test', 'ports.example.test:443',
      'flip.example.test', 'flop.example.test', 'cgnat.example.test', 'evil.example.test',
    ],
    networkDenylist: ['@cloud-metadata', 'evil.example.test'],
  },
  // The same names, with 127.0.0.1 allowed explicitly so that allowed names reach the test upstream.
  reach: {
    networkMode: 'allowlist',
    networkAllowlist: ['api.example.test', '*.wild.example.test', 'internal.example.test', '127.0.0.1/32'],
    networkDenylist: ['@cloud-metadata', 'evil.example.test'],
  },
  // Loopback explicitly allowed by address; one loopback address and the metadata ranges denied.
  loopback: {
    networkMode: 'allowlist',
    networkAllowlist: [
      'api.example.test', 'mixed.example.test', 'poison.example.test', 'v6.example.test', 'mapped.example.test',
      'flip.example.test', 'flop.example.test', '127.0.0.1/32', '::1',
    ],
    networkDenylist: ['@cloud-metadata', '127.0.0.2'],
  },
  // Open posture: only the denylist stands; every case here is denied or goes to the proxy itself.
  open: {
    networkMode: 'open',
    networkDenylist: ['@cloud-metadata', '10.0.0.0/8', '127.0.0.2'],
  },
  // Loopback and the unspecified address allowed: only the self-connection guard is left.
  self: {
    networkMode: 'allowlist',
    networkAllowlist: ['127.0.0.1/32', '0.0.0.0/32', 'self.example.test'],
  },
};

/** The static resolver answers every case uses (nothing else is ever resolved). */
export const ANSWERS: Record<string, string[]> = {
  'api.example.test': ['127.0.0.1'],
  'x.wild.example.test': ['127.0.0.1'],
  'a.b.wild.example.test': ['127.0.0.1'],
  'evil.example.test': ['127.0.0.1'],
  'internal.example.test': ['10.0.0.1'],
  'cgnat.example.test': ['100.64.0.1'],
  'meta.example.test': ['169.254.169.254'],
  'mixed.example.test': ['10.0.0.1', '127.0.0.1'],
  'poison.example.test': ['127.0.0.1', '169.254.169.254'],
  'v6.example.test': ['::1'],
  'mapped.example.test': ['::ffff:127.0.0.1'],
  'nat64.example.test': ['64:ff9b::7f00:1'],
  'sixtofour.example.test': ['2002:7f00:1::1'],
  'teredo.example.test': ['2001:0:4136:e378:8000:63bf:80ff:fffe'],
  'compat.example.test': ['::7f00:1'],
  'translated.example.test': ['::ffff:0:7f00:1'],
  'zero.example.test': ['0.0.0.0'],
  'self.example.test': ['127.0.0.1'],
  'ports.example.test': ['127.0.0.1'],
  'nowhere.example.test': [],
};

/** Names whose answer changes between lookups: [first answer, every later answer]. */
export const FLIPPING: Record<string, [string[], string[]]> = {
  'flip.example.test': [['127.0.0.1'], ['10.0.0.1']],
  'flop.example.test': [['10.0.0.1'], ['127.0.0.1']],
};

export type HostCase = {
  kind: 'host';
  id: string;
  category: Category;
  title: string;
  policy: PolicyName;
  /** The host as the client writes it (IPv6 without brackets is bracketed for HTTP). */
  host: string;
  /** Default: the loopback upstream's port. */
  port?: number | 'http-proxy' | 'socks-proxy';
  /** The address carried by SOCKS ATYP 0x01 / 0x04 for the same target, where there is one. */
  ipv4?: string;
  ipv6?: string;
  /** Default: connect, absolute, socks-domain (+ socks-ipv4/ipv6 when given). */
  via?: EntryPoint[];
  expect: Outcome;
  /** Where one entry point differs (the SOCKS domain type reads bytes as latin1, say). */
  expectVia?: Partial<Record<EntryPoint, Outcome>>;
  /** The resolver is consulted at most this often per attempt (default: not checked). */
  lookups?: number;
};

export type RawHttpCase = {
  kind: 'http-raw';
  id: string;
  category: 'http';
  title: string;
  policy: PolicyName;
  /** The bytes sent; UP is replaced by the upstream's port. */
  send: string;
  /** Every answer in order: the status and, for refusals, the reason. */
  answers: { status: number; reason?: RefusalReason }[];
  /** What the upstream must have seen (request lines, 'METHOD url host'); default nothing. */
  upstreamSees?: string[];
  expect: Outcome;
};

export type RawSocksCase = {
  kind: 'socks-raw';
  id: string;
  category: 'socks5';
  title: string;
  policy: PolicyName;
  /** Chunks written one after another; 'UP' in a chunk spec is the upstream port (2 bytes). */
  send: (number | 'UP')[][];
  /** The bytes of the reply that matter: [method selection..., request reply code] or null = closed. */
  replies: number[] | null;
  /**
   * Bytes sent in the same write as the last chunk, before any answer: an HTTP POST of this
   * many body bytes to the upstream; then the client half-closes. The tunnel must carry them
   * whole and the exchange end within 5 s (docs/mechanism.md, "A run always ends").
   */
  earlyBody?: number;
  expect: Outcome;
};

export type NamespaceCase = {
  kind: 'namespace';
  id: string;
  category: 'namespace';
  title: string;
  policy: 'names';
  /** A Python 3 function body: it must raise (any OSError) quickly. HOSTPORT is a host loopback port. */
  probe: string;
  /** Fails at once; `captured`: transparent capture took it to the decision, which refused it (a record). */
  expect: { fails: 'at-once'; captured?: RefusalReason } | { refused: RefusalReason };
};

export type DecideCase = {
  kind: 'decide';
  id: string;
  category: 'ip-spelling';
  title: string;
  /** Inside the range: refused as internal-address, through the proxy as well (by a name resolving there). */
  inside: string[];
  /** Just outside: [address, the label internalRange gives it (null = public)], by the decision alone. */
  outside: [string, string | null][];
};

export type Case = HostCase | RawHttpCase | RawSocksCase | NamespaceCase | DecideCase;

const ALLOWED_API: Outcome = { allowed: { host: 'api.example.test', address: '127.0.0.1' } };
const ALLOWED_LO: Outcome = { allowed: { host: '127.0.0.1', address: '127.0.0.1' } };
const r = (reason: RefusalReason): Outcome => ({ refused: reason });

const hostCases: HostCase[] = [
  // ---- IP spellings ------------------------------------------------------------------------
  { kind: 'host', id: 'ip-short', category: 'ip-spelling', title: 'short IPv4 127.1', policy: 'loopback', host: '127.1', ipv4: '127.0.0.1', expect: ALLOWED_LO },
  { kind: 'host', id: 'ip-decimal', category: 'ip-spelling', title: 'decimal IPv4 2130706433', policy: 'loopback', host: '2130706433', ipv4: '127.0.0.1', expect: ALLOWED_LO },
  { kind: 'host', id: 'ip-octal', category: 'ip-spelling', title: 'octal IPv4 0177.0.0.1', policy: 'loopback', host: '0177.0.0.1', ipv4: '127.0.0.1', expect: ALLOWED_LO },
  { kind: 'host', id: 'ip-hex-dotted', category: 'ip-spelling', title: 'hex dotted IPv4 0x7f.0.0.1', policy: 'loopback', host: '0x7f.0.0.1', ipv4: '127.0.0.1', expect: ALLOWED_LO },
  { kind: 'host', id: 'ip-hex', category: 'ip-spelling', title: 'hex IPv4 0x7F000001', policy: 'loopback', host: '0x7F000001', ipv4: '127.0.0.1', expect: ALLOWED_LO },
  { kind: 'host', id: 'ip-zero-padded', category: 'ip-spelling', title: 'zero-padded IPv4 127.000.000.001', policy: 'loopback', host: '127.000.000.001', ipv4: '127.0.0.1', expect: ALLOWED_LO },
  { kind: 'host', id: 'ip-octal-denied', category: 'ip-spelling', title: 'octal spelling of a denied address 0177.0.0.2', policy: 'loopback', host: '0177.0.0.2', ipv4: '127.0.0.2', expect: r('denylisted') },
  { kind: 'host', id: 'ip-decimal-denied', category: 'ip-spelling', title: 'decimal spelling of a denied address 2130706434', policy: 'loopback', host: '2130706434', ipv4: '127.0.0.2', expect: r('denylisted') },
  { kind: 'host', id: 'ip-metadata-decimal', category: 'ip-spelling', title: 'metadata 169.254.169.254 as 2852039166 (open posture)', policy: 'open', host: '2852039166', ipv4: '169.254.169.254', expect: r('denylisted') },
  { kind: 'host', id: 'ip-metadata-hex', category: 'ip-spelling', title: 'metadata as 0xa9fea9fe (open posture)', policy: 'open', host: '0xa9fea9fe', ipv4: '169.254.169.254', expect: r('denylisted') },
  { kind: 'host', id: 'ip-metadata-octal', category: 'ip-spelling', title: 'metadata as 0251.0376.0251.0376 (open posture)', policy: 'open', host: '0251.0376.0251.0376', ipv4: '169.254.169.254', expect: r('denylisted') },
  { kind: 'host', id: 'ip-metadata-two-part', category: 'ip-spelling', title: 'metadata as 169.254.43518 (open posture)', policy: 'open', host: '169.254.43518', ipv4: '169.254.169.254', expect: r('denylisted') },
  { kind: 'host', id: 'ip-private-short', category: 'ip-spelling', title: 'denied 10.0.0.0/8 as 10.1 (open posture)', policy: 'open', host: '10.1', ipv4: '10.0.0.1', expect: r('denylisted') },
  { kind: 'host', id: 'ip-unspecified', category: 'ip-spelling', title: 'unspecified 0.0.0.0 and 0 without an IP entry', policy: 'loopback', host: '0', ipv4: '0.0.0.0', expect: r('not-allowlisted') },
  { kind: 'host', id: 'ip-unspecified-v6', category: 'ip-spelling', title: 'unspecified [::]', policy: 'loopback', host: '::', ipv6: '::', expect: r('not-allowlisted') },
  { kind: 'host', id: 'ip-v6-loopback', category: 'ip-spelling', title: '[::1] with an explicit ::1 entry', policy: 'loopback', host: '::1', ipv6: '::1', expect: { allowed: { host: '::1', address: '::1' } } },
  { kind: 'host', id: 'ip-v4-mapped', category: 'ip-spelling', title: 'IPv4-mapped [::ffff:127.0.0.2] is the denied IPv4', policy: 'loopback', host: '::ffff:127.0.0.2', ipv6: '::ffff:127.0.0.2', expect: r('denylisted') },
  { kind: 'host', id: 'ip-v4-mapped-hex', category: 'ip-spelling', title: 'IPv4-mapped metadata [::ffff:a9fe:a9fe] (open posture)', policy: 'open', host: '::ffff:a9fe:a9fe', ipv6: '::ffff:a9fe:a9fe', expect: r('denylisted') },
  { kind: 'host', id: 'ip-v4-mapped-allowed', category: 'ip-spelling', title: 'IPv4-mapped [::ffff:7f00:1] goes to 127.0.0.1', policy: 'loopback', host: '::ffff:7f00:1', ipv6: '::ffff:7f00:1', expect: ALLOWED_LO },
  { kind: 'host', id: 'ip-v4-compatible', category: 'ip-spelling', title: 'IPv4-compatible [::127.0.0.1] is not 127.0.0.1', policy: 'loopback', host: '::127.0.0.1', ipv6: '::7f00:1', expect: r('not-allowlisted') },
  { kind: 'host', id: 'ip-v4-translated', category: 'ip-spelling', title: 'IPv4-translated [::ffff:0:7f00:1]', policy: 'loopback', host: '::ffff:0:7f00:1', ipv6: '::ffff:0:7f00:1', expect: r('not-allowlisted') },
  { kind: 'host', id: 'ip-nat64-literal', category: 'ip-spelling', title: 'NAT64 [64:ff9b::7f00:1]', policy: 'loopback', host: '64:ff9b::127.0.0.1', ipv6: '64:ff9b::7f00:1', expect: r('not-allowlisted') },
  { kind: 'host', id: 'ip-zone-id', category: 'ip-spelling', title: 'zone id [fe80::1%eth0]', policy: 'loopback', host: 'fe80::1%eth0', expect: r('malformed') },
  { kind: 'host', id: 'ip-zone-id-encoded', category: 'ip-spelling', title: 'zone id [::ffff:127.0.0.1%25x.api.example.test]', policy: 'loopback', host: '::ffff:127.0.0.1%25x.api.example.test', expect: r('malformed') },
  { kind: 'host', id: 'ip-too-big', category: 'ip-spelling', title: 'out-of-range IPv4 0x100000000', policy: 'loopback', host: '0x100000000', expect: r('malformed') },
  { kind: 'host', id: 'ip-octet-256', category: 'ip-spelling', title: 'out-of-range IPv4 256.0.0.1', policy: 'loopback', host: '256.0.0.1', expect: r('malformed') },
  { kind: 'host', id: 'ip-five-parts', category: 'ip-spelling', title: 'five-part 127.0.0.0.1', policy: 'loopback', host: '127.0.0.0.1', expect: r('malformed') },

  // ---- names -------------------------------------------------------------------------------
  { kind: 'host', id: 'name-case', category: 'name', title: 'upper case API.EXAMPLE.TEST', policy: 'reach', host: 'API.Example.TEST', expect: ALLOWED_API },
  { kind: 'host', id: 'name-trailing-dot', category: 'name', title: 'one trailing dot api.example.test.', policy: 'reach', host: 'api.example.test.', expect: ALLOWED_API },
  { kind: 'host', id: 'name-two-dots', category: 'name', title: 'two trailing dots', policy: 'names', host: 'api.example.test..', expect: r('malformed') },
  { kind: 'host', id: 'name-leading-dot', category: 'name', title: 'leading dot .api.example.test', policy: 'names', host: '.api.example.test', expect: r('malformed') },
  { kind: 'host', id: 'name-empty-label', category: 'name', title: 'empty label api..example.test', policy: 'names', host: 'api..example.test', expect: r('malformed') },
  { kind: 'host', id: 'name-wildcard-depth', category: 'name', title: '*.wild matches a.b.wild at any depth', policy: 'reach', host: 'a.b.wild.example.test', expect: { allowed: { host: 'a.b.wild.example.test', address: '127.0.0.1' } } },
  { kind: 'host', id: 'name-wildcard-apex', category: 'name', title: '*.wild never matches the apex wild.example.test', policy: 'names', host: 'wild.example.test', expect: r('not-allowlisted') },
  { kind: 'host', id: 'name-lookalike-prefix', category: 'name', title: 'look-alike xwild.example.test of *.wild', policy: 'names', host: 'xwild.example.test', expect: r('not-allowlisted') },
  { kind: 'host', id: 'name-lookalike-suffix', category: 'name', title: 'suffix look-alike api.example.test.evil.test', policy: 'names', host: 'api.example.test.evil.test', expect: r('not-allowlisted') },
  { kind: 'host', id: 'name-lookalike-glued', category: 'name', title: 'glued look-alike evilapi.example.test', policy: 'names', host: 'evilapi.example.test', expect: r('not-allowlisted') },
  { kind: 'host', id: 'name-homograph', category: 'name', title: 'IDN homograph with Cyrillic a (U+0430), as UTF-8 bytes', policy: 'names', host: '\u0430pi.example.test', expect: r('malformed'), expectVia: { 'socks-domain': r('not-allowlisted') } },
  { kind: 'host', id: 'name-punycode', category: 'name', title: 'the homograph in punycode xn--pi-7ed.example.test', policy: 'names', host: 'xn--pi-7ed.example.test', expect: r('not-allowlisted') },
  { kind: 'host', id: 'name-fullwidth', category: 'name', title: 'full-width letters (UTS46 folds them in entries; on the wire they are bytes)', policy: 'reach', host: '\uff41\uff50\uff49.example.test', expect: r('malformed') },
  { kind: 'host', id: 'name-ideographic-dot', category: 'name', title: 'ideographic full stop U+3002 as a dot, as UTF-8 bytes', policy: 'reach', host: 'api\u3002example\u3002test', expect: r('malformed') },
  { kind: 'host', id: 'name-soft-hyphen', category: 'name', title: 'soft hyphen U+00AD (vanishes under UTS46), as UTF-8 bytes', policy: 'reach', host: 'a\u00adpi.example.test', expect: r('malformed'), expectVia: { 'socks-domain': r('not-allowlisted') } },
  { kind: 'host', id: 'name-nul', category: 'name', title: 'embedded NUL api.example.test\\0.evil.test', policy: 'names', host: 'api.example.test\u0000.evil.test', expect: r('malformed') },
  { kind: 'host', id: 'name-crlf', category: 'name', title: 'CR LF inside the host', policy: 'names', host: 'api.example.test\r\nX-Injected: 1', expect: r('malformed') },
  { kind: 'host', id: 'name-tab-del', category: 'name', title: 'TAB and DEL inside the host', policy: 'names', host: 'api.exam\u007fple\ttest', expect: r('malformed') },
  { kind: 'host', id: 'name-c1-control', category: 'name', title: 'C1 control U+0085 inside the host', policy: 'names', host: 'api.example.test\u0085', expect: r('malformed') },
  { kind: 'host', id: 'name-space', category: 'name', title: 'a space inside the host', policy: 'names', host: 'api.example.test evil', expect: r('malformed') },
  { kind: 'host', id: 'name-long-label', category: 'name', title: 'a 64-byte label', policy: 'names', host: `${'a'.repeat(64)}.wild.example.test`, expect: r('malformed') },
  { kind: 'host', id: 'name-long-name', category: 'name', title: 'a 254-byte name', policy: 'names', host: `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(44)}.wild.example.test`, expect: r('malformed') },
  { kind: 'host', id: 'name-numeric-tld', category: 'name', title: 'a name ending in a number api.example.123', policy: 'names', host: 'api.example.123', expect: r('malformed') },
  { kind: 'host', id: 'name-backslash', category: 'name', title: 'backslash api.example.test\\evil.test', policy: 'names', host: 'api.example.test\\evil.test', expect: r('malformed') },
  { kind: 'host', id: 'name-star', category: 'name', title: 'a literal * in the host', policy: 'names', host: '*.wild.example.test', expect: r('malformed') },
  { kind: 'host', id: 'name-comma', category: 'name', title: 'a comma list api.example.test,evil.example.test', policy: 'names', host: 'api.example.test,evil.example.test', expect: r('malformed') },
  { kind: 'host', id: 'name-percent', category: 'name', title: 'percent-encoding api%2eexample.test', policy: 'names', host: 'api%2eexample.test', expect: r('malformed') },
  { kind: 'host', id: 'name-denied', category: 'name', title: 'a denied name that is also allowed: deny wins', policy: 'names', host: 'evil.example.test', expect: r('denylisted'), lookups: 0 },
  { kind: 'host', id: 'name-metadata', category: 'name', title: 'metadata.google.internal (open posture), never resolved', policy: 'open', host: 'metadata.google.internal', expect: r('denylisted'), lookups: 0 },
  { kind: 'host', id: 'name-wrong-port', category: 'name', title: 'an allowed name on a port its entry does not list', policy: 'names', host: 'ports.example.test', expect: r('not-allowlisted'), lookups: 0 },
  { kind: 'host', id: 'name-off-list', category: 'name', title: 'a name off the allowlist is never resolved', policy: 'names', host: 'localhost', expect: r('not-allowlisted'), lookups: 0 },

  // ---- DNS ---------------------------------------------------------------------------------
  { kind: 'host', id: 'dns-internal', category: 'dns', title: 'an allowed name resolving to 10.0.0.1', policy: 'names', host: 'internal.example.test', expect: r('internal-address'), lookups: 1 },
  { kind: 'host', id: 'dns-cgnat', category: 'dns', title: 'an allowed name resolving to CGNAT 100.64.0.1', policy: 'names', host: 'cgnat.example.test', expect: r('internal-address') },
  { kind: 'host', id: 'dns-loopback-v6', category: 'dns', title: 'an allowed name resolving to ::1', policy: 'names', host: 'v6.example.test', expect: r('internal-address') },
  { kind: 'host', id: 'dns-zero', category: 'dns', title: 'an allowed name resolving to 0.0.0.0', policy: 'names', host: 'zero.example.test', expect: r('internal-address') },
  { kind: 'host', id: 'dns-nat64', category: 'dns', title: 'an allowed name resolving to NAT64 64:ff9b::7f00:1', policy: 'names', host: 'nat64.example.test', expect: r('internal-address') },
  { kind: 'host', id: 'dns-6to4', category: 'dns', title: 'an allowed name resolving to 6to4 2002:7f00:1::1', policy: 'names', host: 'sixtofour.example.test', expect: r('internal-address') },
  { kind: 'host', id: 'dns-teredo', category: 'dns', title: 'an allowed name resolving to Teredo 2001:0:...', policy: 'names', host: 'teredo.example.test', expect: r('internal-address') },
  { kind: 'host', id: 'dns-v4-compatible', category: 'dns', title: 'an allowed name resolving to IPv4-compatible ::7f00:1', policy: 'names', host: 'compat.example.test', expect: r('internal-address') },
  { kind: 'host', id: 'dns-v4-translated', category: 'dns', title: 'an allowed name resolving to IPv4-translated ::ffff:0:7f00:1', policy: 'names', host: 'translated.example.test', expect: r('internal-address') },
  { kind: 'host', id: 'dns-metadata', category: 'dns', title: 'an allowed name resolving to 169.254.169.254: the denylist by address', policy: 'names', host: 'meta.example.test', expect: r('denylisted') },
  { kind: 'host', id: 'dns-mixed-internal', category: 'dns', title: 'a mix of 10.0.0.1 and 127.0.0.1, neither allowed by address', policy: 'names', host: 'mixed.example.test', expect: r('internal-address') },
  { kind: 'host', id: 'dns-mixed-pinned', category: 'dns', title: 'a mix where only 127.0.0.1 passes: exactly that one is dialed', policy: 'loopback', host: 'mixed.example.test', expect: { allowed: { host: 'mixed.example.test', address: '127.0.0.1' } } },
  { kind: 'host', id: 'dns-poisoned', category: 'dns', title: 'one denied answer among allowed ones poisons the name', policy: 'loopback', host: 'poison.example.test', expect: r('denylisted') },
  { kind: 'host', id: 'dns-mapped-answer', category: 'dns', title: 'an answer ::ffff:127.0.0.1 is dialed as 127.0.0.1', policy: 'loopback', host: 'mapped.example.test', expect: { allowed: { host: 'mapped.example.test', address: '127.0.0.1' } } },
  { kind: 'host', id: 'dns-rebind-later', category: 'dns', title: '127.0.0.1 first, 10.0.0.1 on a second lookup: one lookup, the checked address dialed', policy: 'loopback', host: 'flip.example.test', expect: { allowed: { host: 'flip.example.test', address: '127.0.0.1' } }, lookups: 1 },
  { kind: 'host', id: 'dns-rebind-first-bad', category: 'dns', title: '10.0.0.1 first, 127.0.0.1 on a second lookup: refused, no second lookup', policy: 'loopback', host: 'flop.example.test', expect: r('internal-address'), lookups: 1 },
  { kind: 'host', id: 'dns-no-answer', category: 'dns', title: 'an allowed name with no answer', policy: 'names', host: 'nowhere.example.test', expect: r('resolve-failed') },

  // ---- the proxies' own ports ----------------------------------------------------------------
  { kind: 'host', id: 'self-http', category: 'self', title: "127.0.0.1:<the HTTP proxy's port>", policy: 'self', host: '127.0.0.1', port: 'http-proxy', ipv4: '127.0.0.1', expect: r('internal-address') },
  { kind: 'host', id: 'self-socks', category: 'self', title: "a name for 127.0.0.1:<the SOCKS proxy's port>", policy: 'self', host: 'self.example.test', port: 'socks-proxy', expect: r('internal-address') },
  { kind: 'host', id: 'self-unspecified', category: 'self', title: "0.0.0.0:<the HTTP proxy's port> (reaches loopback)", policy: 'self', host: '0.0.0.0', port: 'http-proxy', ipv4: '0.0.0.0', expect: r('internal-address') },
  { kind: 'host', id: 'self-unspecified-open', category: 'self', title: "0:<the SOCKS proxy's port> in open posture", policy: 'open', host: '0', port: 'socks-proxy', ipv4: '0.0.0.0', expect: r('internal-address') },
];

const httpCases: RawHttpCase[] = [
  { kind: 'http-raw', id: 'http-host-differs-connect', category: 'http', title: 'CONNECT target differs from the Host header: the target decides', policy: 'reach',
    send: 'CONNECT api.example.test:UP HTTP/1.1\r\nHost: 169.254.169.254:80\r\n\r\nGET /tunnel HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    answers: [{ status: 200 }], upstreamSees: ['GET /tunnel x'], expect: ALLOWED_API },
  { kind: 'http-raw', id: 'http-host-differs-absolute', category: 'http', title: 'absolute-form with a Host header naming 10.0.0.1: Host is rebuilt', policy: 'reach',
    send: 'GET http://api.example.test:UP/a HTTP/1.1\r\nHost: 10.0.0.1\r\nConnection: close\r\n\r\n',
    answers: [{ status: 200 }], upstreamSees: ['GET /a api.example.test:UP'], expect: ALLOWED_API },
  { kind: 'http-raw', id: 'http-duplicate-host', category: 'http', title: 'duplicate Host headers: the upstream sees one, rebuilt', policy: 'reach',
    send: 'GET http://api.example.test:UP/d HTTP/1.1\r\nHost: api.example.test\r\nHost: 169.254.169.254\r\nConnection: close\r\n\r\n',
    answers: [{ status: 200 }], upstreamSees: ['GET /d api.example.test:UP'], expect: ALLOWED_API },
  { kind: 'http-raw', id: 'http-userinfo', category: 'http', title: 'absolute-form with userinfo http://api.example.test@10.0.0.1/', policy: 'names',
    send: 'GET http://api.example.test@10.0.0.1:UP/ HTTP/1.1\r\nHost: x\r\n\r\n', answers: [{ status: 400, reason: 'malformed' }], expect: r('malformed') },
  { kind: 'http-raw', id: 'http-userinfo-plain', category: 'http', title: 'absolute-form with user:password@', policy: 'names',
    send: 'GET http://u:p@api.example.test:UP/ HTTP/1.1\r\nHost: x\r\n\r\n', answers: [{ status: 400, reason: 'malformed' }], expect: r('malformed') },
  { kind: 'http-raw', id: 'http-backslash-userinfo', category: 'http', title: 'absolute-form http://api.example.test\\@10.0.0.1/', policy: 'names',
    send: 'GET http://api.example.test\\@10.0.0.1:UP/ HTTP/1.1\r\nHost: x\r\n\r\n', answers: [{ status: 400, reason: 'malformed' }], expect: r('malformed') },
  { kind: 'http-raw', id: 'http-scheme-https', category: 'http', title: 'absolute-form https:// (TLS is for CONNECT)', policy: 'names',
    send: 'GET https://api.example.test/ HTTP/1.1\r\nHost: api.example.test\r\n\r\n', answers: [{ status: 501, reason: 'unsupported' }], expect: r('unsupported') },
  { kind: 'http-raw', id: 'http-scheme-file', category: 'http', title: 'absolute-form file:///etc/passwd', policy: 'names',
    send: 'GET file:///etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n', answers: [{ status: 501, reason: 'unsupported' }], expect: r('unsupported') },
  { kind: 'http-raw', id: 'http-scheme-gopher', category: 'http', title: 'absolute-form gopher://api.example.test:UP/', policy: 'names',
    send: 'GET gopher://api.example.test:UP/ HTTP/1.1\r\nHost: x\r\n\r\n', answers: [{ status: 501, reason: 'unsupported' }], expect: r('unsupported') },
  { kind: 'http-raw', id: 'http-origin-form', category: 'http', title: 'origin-form GET / sent to the proxy', policy: 'names',
    send: 'GET / HTTP/1.1\r\nHost: api.example.test:UP\r\n\r\n', answers: [{ status: 400, reason: 'unsupported' }], expect: r('unsupported') },
  { kind: 'http-raw', id: 'http-asterisk-form', category: 'http', title: 'asterisk-form OPTIONS *', policy: 'names',
    send: 'OPTIONS * HTTP/1.1\r\nHost: api.example.test:UP\r\n\r\n', answers: [{ status: 400, reason: 'unsupported' }], expect: r('unsupported') },
  { kind: 'http-raw', id: 'http-upgrade', category: 'http', title: 'an Upgrade: websocket request', policy: 'names',
    send: 'GET http://api.example.test:UP/ws HTTP/1.1\r\nHost: api.example.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
    answers: [{ status: 501, reason: 'unsupported' }], expect: r('unsupported') },
  { kind: 'http-raw', id: 'http-port-zero', category: 'http', title: 'port 0', policy: 'names',
    send: 'CONNECT api.example.test:0 HTTP/1.1\r\nHost: x\r\n\r\n', answers: [{ status: 400, reason: 'malformed' }], expect: r('malformed') },
  { kind: 'http-raw', id: 'http-port-big', category: 'http', title: 'port 65536', policy: 'names',
    send: 'GET http://api.example.test:65536/ HTTP/1.1\r\nHost: x\r\n\r\n', answers: [{ status: 400, reason: 'malformed' }], expect: r('malformed') },
  { kind: 'http-raw', id: 'http-port-signed', category: 'http', title: 'port +80', policy: 'names',
    send: 'CONNECT api.example.test:+80 HTTP/1.1\r\nHost: x\r\n\r\n', answers: [{ status: 400, reason: 'malformed' }], expect: r('malformed') },
  { kind: 'http-raw', id: 'http-port-leading-zero', category: 'http', title: 'port with a leading zero 080', policy: 'names',
    send: 'GET http://api.example.test:080/ HTTP/1.1\r\nHost: x\r\n\r\n', answers: [{ status: 400, reason: 'malformed' }], expect: r('malformed') },
  { kind: 'http-raw', id: 'http-two-ports', category: 'http', title: 'two ports api.example.test:UP:UP', policy: 'names',
    send: 'CONNECT api.example.test:UP:UP HTTP/1.1\r\nHost: x\r\n\r\n', answers: [{ status: 400, reason: 'malformed' }], expect: r('malformed') },
  { kind: 'http-raw', id: 'http-connect-no-port', category: 'http', title: 'CONNECT without a port', policy: 'names',
    send: 'CONNECT api.example.test HTTP/1.1\r\nHost: x\r\n\r\n', answers: [{ status: 400, reason: 'malformed' }], expect: r('malformed') },
  { kind: 'http-raw', id: 'http-unbracketed-v6', category: 'http', title: 'CONNECT ::1:UP without brackets', policy: 'loopback',
    send: 'CONNECT ::1:UP HTTP/1.1\r\nHost: x\r\n\r\n', answers: [{ status: 400, reason: 'malformed' }], expect: r('malformed') },
  { kind: 'http-raw', id: 'http-unclosed-bracket', category: 'http', title: 'absolute-form http://[::1/', policy: 'loopback',
    send: 'GET http://[::1/ HTTP/1.1\r\nHost: x\r\n\r\n', answers: [{ status: 400, reason: 'malformed' }], expect: r('malformed') },
  { kind: 'http-raw', id: 'http-keepalive-second', category: 'http', title: 'a second request on a kept-alive connection is decided on its own', policy: 'reach',
    send: 'GET http://api.example.test:UP/one HTTP/1.1\r\nHost: x\r\n\r\nGET http://internal.example.test:UP/two HTTP/1.1\r\nHost: x\r\n\r\n',
    answers: [{ status: 200 }, { status: 403, reason: 'internal-address' }], upstreamSees: ['GET /one api.example.test:UP'], expect: r('internal-address') },
  { kind: 'http-raw', id: 'http-keepalive-connect', category: 'http', title: 'a CONNECT after an allowed request on the same connection', policy: 'reach',
    send: 'GET http://api.example.test:UP/one HTTP/1.1\r\nHost: x\r\n\r\nCONNECT 10.0.0.1:UP HTTP/1.1\r\nHost: x\r\n\r\n',
    answers: [{ status: 200 }, { status: 403, reason: 'not-allowlisted' }], upstreamSees: ['GET /one api.example.test:UP'], expect: r('not-allowlisted') },
  { kind: 'http-raw', id: 'http-pipelined-connect', category: 'http', title: 'a CONNECT pipelined behind a request: that answer first, then the tunnel', policy: 'reach',
    send: 'GET http://api.example.test:UP/one HTTP/1.1\r\nHost: x\r\n\r\nCONNECT api.example.test:UP HTTP/1.1\r\nHost: x\r\n\r\n' + 'GET /tunnel HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    answers: [{ status: 200 }, { status: 200 }], upstreamSees: ['GET /one api.example.test:UP', 'GET /tunnel x'], expect: ALLOWED_API },
  { kind: 'http-raw', id: 'http-body-smuggle', category: 'http', title: 'a request inside an allowed body stays body', policy: 'reach',
    send: 'POST http://api.example.test:UP/p HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\nConnection: close\r\n\r\nGET http://10.0.0.1/ HTTP/1.1\r\nHost: x\r\n\r\n',
    answers: [{ status: 200 }], upstreamSees: ['POST /p api.example.test:UP'], expect: ALLOWED_API },
  { kind: 'http-raw', id: 'http-cl-te', category: 'http', title: 'Content-Length with Transfer-Encoding (CL.TE)', policy: 'names',
    send: 'POST http://api.example.test:UP/ HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET http://10.0.0.1/ HTTP/1.1\r\n\r\n',
    answers: [{ status: 400, reason: 'malformed' }], expect: r('malformed') },
  { kind: 'http-raw', id: 'http-duplicate-cl', category: 'http', title: 'two different Content-Length headers', policy: 'names',
    send: 'POST http://api.example.test:UP/ HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 50\r\n\r\nhello',
    answers: [{ status: 400, reason: 'malformed' }], expect: r('malformed') },
  { kind: 'http-raw', id: 'http-te-not-last', category: 'http', title: 'Transfer-Encoding: chunked, gzip (chunked not last)', policy: 'names',
    send: 'POST http://api.example.test:UP/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n',
    answers: [{ status: 400, reason: 'malformed' }], expect: r('malformed') },
  { kind: 'http-raw', id: 'http-te-space', category: 'http', title: 'Transfer-Encoding with a space before the colon', policy: 'names',
    send: 'POST http://api.example.test:UP/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n',
    answers: [{ status: 400, reason: 'malformed' }], expect: r('malformed') },
  { kind: 'http-raw', id: 'http-obs-fold', category: 'http', title: 'obs-fold (a header continued on the next line)', policy: 'names',
    send: 'GET http://api.example.test:UP/ HTTP/1.1\r\nHost: x\r\nX-A: a\r\n Host: 10.0.0.1\r\n\r\n',
    answers: [{ status: 400, reason: 'malformed' }], expect: r('malformed') },
  { kind: 'http-raw', id: 'http-bare-lf', category: 'http', title: 'bare LF line endings', policy: 'names',
    send: 'GET http://api.example.test:UP/ HTTP/1.1\nHost: x\n\n', answers: [{ status: 400, reason: 'malformed' }], expect: r('malformed') },
  { kind: 'http-raw', id: 'http-proxy-auth-dropped', category: 'http', title: 'Proxy-Authorization and Connection-named headers are not forwarded', policy: 'reach',
    send: 'GET http://api.example.test:UP/h HTTP/1.1\r\nHost: x\r\nProxy-Authorization: Basic Zm9vOmJhcg==\r\nConnection: close, X-Secret\r\nX-Secret: 1\r\n\r\n',
    answers: [{ status: 200 }], upstreamSees: ['GET /h api.example.test:UP'], expect: ALLOWED_API },
];

const B = (s: string): number[] => [...Buffer.from(s, 'latin1')];
const socksCases: RawSocksCase[] = [
  { kind: 'socks-raw', id: 'socks4', category: 'socks5', title: 'SOCKS4 CONNECT 127.0.0.1', policy: 'loopback', send: [[4, 1, 'UP', 127, 0, 0, 1, 0]], replies: null, expect: { closed: true } },
  { kind: 'socks-raw', id: 'socks4a', category: 'socks5', title: 'SOCKS4a CONNECT by name', policy: 'names', send: [[4, 1, 'UP', 0, 0, 0, 1, 0, ...B('api.example.test'), 0]], replies: null, expect: { closed: true } },
  { kind: 'socks-raw', id: 'socks-no-methods', category: 'socks5', title: 'a greeting offering no method', policy: 'names', send: [[5, 0]], replies: [5, 0xff], expect: { closed: true } },
  { kind: 'socks-raw', id: 'socks-gssapi-only', category: 'socks5', title: 'a greeting offering only GSSAPI', policy: 'names', send: [[5, 1, 1]], replies: [5, 0xff], expect: { closed: true } },
  { kind: 'socks-raw', id: 'socks-bind', category: 'socks5', title: 'BIND', policy: 'loopback', send: [[5, 1, 0], [5, 2, 0, 1, 127, 0, 0, 1, 'UP']], replies: [5, 0, 7], expect: r('unsupported') },
  { kind: 'socks-raw', id: 'socks-udp-associate', category: 'socks5', title: 'UDP ASSOCIATE', policy: 'loopback', send: [[5, 1, 0], [5, 3, 0, 1, 0, 0, 0, 0, 'UP']], replies: [5, 0, 7], expect: r('unsupported') },
  { kind: 'socks-raw', id: 'socks-unknown-cmd', category: 'socks5', title: 'an unknown command 0x09', policy: 'loopback', send: [[5, 1, 0], [5, 9, 0, 1, 127, 0, 0, 1, 'UP']], replies: [5, 0, 7], expect: r('unsupported') },
  { kind: 'socks-raw', id: 'socks-unknown-atyp', category: 'socks5', title: 'an unknown address type 0x02', policy: 'loopback', send: [[5, 1, 0], [5, 1, 0, 2, 127, 0, 0, 1, 'UP']], replies: [5, 0, 8], expect: r('malformed') },
  { kind: 'socks-raw', id: 'socks-empty-domain', category: 'socks5', title: 'a domain of length 0', policy: 'names', send: [[5, 1, 0], [5, 1, 0, 3, 0, 'UP']], replies: [5, 0, 2], expect: r('malformed') },
  { kind: 'socks-raw', id: 'socks-port-zero', category: 'socks5', title: 'destination port 0', policy: 'names', send: [[5, 1, 0], [5, 1, 0, 3, 16, ...B('api.example.test'), 0, 0]], replies: [5, 0, 2], expect: r('malformed') },
  { kind: 'socks-raw', id: 'socks-bad-request-version', category: 'socks5', title: 'a request with version 4 after a version 5 greeting', policy: 'names', send: [[5, 1, 0], [4, 1, 0, 3, 16, ...B('api.example.test'), 'UP']], replies: [5, 0], expect: { closed: true } },
  { kind: 'socks-raw', id: 'socks-byte-by-byte', category: 'socks5', title: 'greeting and request one byte at a time', policy: 'reach',
    send: [[5], [1], [0], [5], [1], [0], [3], [16], ...B('api.example.test').map((b) => [b]), ['UP']], replies: [5, 0, 0], expect: ALLOWED_API },
  { kind: 'socks-raw', id: 'socks-all-at-once', category: 'socks5', title: 'greeting, request and early data in one write', policy: 'reach',
    send: [[5, 1, 0, 5, 1, 0, 3, 16, ...B('api.example.test'), 'UP']], replies: [5, 0, 0], expect: ALLOWED_API },
  { kind: 'socks-raw', id: 'socks-truncated', category: 'socks5', title: 'a request cut short, then half-closed', policy: 'names', send: [[5, 1, 0], [5, 1, 0, 3, 16, ...B('api.exa')]], replies: [5, 0], expect: { closed: true } },
  { kind: 'socks-raw', id: 'socks-early-1mib-half-closed', category: 'socks5', title: 'a tunnel with 1 MiB of early data behind its request, in one write, then half-closed', policy: 'loopback', send: [[5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, 'UP']], replies: [5, 0, 0], earlyBody: 1 << 20, expect: ALLOWED_LO },
  { kind: 'socks-raw', id: 'socks-http-garbage', category: 'socks5', title: 'an HTTP request sent to the SOCKS port', policy: 'names', send: [B('GET / HTTP/1.1\r\n\r\n')], replies: null, expect: { closed: true } },
];

// HOSTPORT: a port with a real listener on the worker's loopback; PROXY: the in-namespace HTTP proxy.
const nsCases: NamespaceCase[] = [
  { kind: 'namespace', id: 'ns-direct-tcp', category: 'namespace', title: 'a client that ignores the proxy variables (TCP to 192.0.2.1:80), captured and reset', policy: 'names',
    probe: 's = socket.create_connection(("192.0.2.1", 80), timeout=5); s.sendall(b"GET / HTTP/1.0\\r\\n\\r\\n"); assert s.recv(1), "closed"', expect: { fails: 'at-once', captured: 'not-allowlisted' } },
  { kind: 'namespace', id: 'ns-direct-tcp6', category: 'namespace', title: 'IPv6 TCP to [2001:db8::1]:80, captured and reset', policy: 'names',
    probe: 's = socket.create_connection(("2001:db8::1", 80), timeout=5); s.sendall(b"GET / HTTP/1.0\\r\\n\\r\\n"); assert s.recv(1), "closed"', expect: { fails: 'at-once', captured: 'not-allowlisted' } },
  { kind: 'namespace', id: 'ns-udp', category: 'namespace', title: 'UDP (DNS to 192.0.2.1:53, QUIC shape)', policy: 'names',
    probe: 's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5); s.sendto(b"x" * 64, ("192.0.2.1", 53)); s.recv(1)', expect: { fails: 'at-once' } },
  { kind: 'namespace', id: 'ns-raw-socket', category: 'namespace', title: 'a raw ICMP socket to 192.0.2.1', policy: 'names',
    probe: 's = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); s.settimeout(5); s.sendto(b"\\x08\\x00\\xf7\\xff\\x00\\x00\\x00\\x00", ("192.0.2.1", 0)); s.recv(1)', expect: { fails: 'at-once' } },
  { kind: 'namespace', id: 'ns-host-loopback', category: 'namespace', title: "the worker's own loopback service, dialed directly", policy: 'names',
    probe: 's = socket.create_connection(("127.0.0.1", HOSTPORT), timeout=5)', expect: { fails: 'at-once' } },
  { kind: 'namespace', id: 'ns-host-loopback-via-proxy', category: 'namespace', title: "the worker's loopback service through the proxy", policy: 'names',
    probe: 'connect_via_proxy("127.0.0.1", HOSTPORT)', expect: { refused: 'not-allowlisted' } },
  { kind: 'namespace', id: 'ns-proxy-own-port', category: 'namespace', title: "the proxy asked for its own port by an allowed name (localhost-ish)", policy: 'names',
    probe: 'connect_via_proxy("zero.example.test", PROXYPORT)', expect: { refused: 'internal-address' } },
];

// The edges of every internal range, just inside and just outside. Outside neighbours are
// checked by the decision alone: dialing them would leave loopback.
export const RANGE_EDGES: [id: string, range: string, inside: string[], outside: [string, string | null][]][] = [
  ['0-0-0-0-8', '0.0.0.0/8', ['0.0.0.0', '0.255.255.255'], [['1.0.0.0', null]]],
  ['10-0-0-0-8', '10.0.0.0/8', ['10.0.0.0', '10.255.255.255'], [['9.255.255.255', null], ['11.0.0.0', null]]],
  ['100-64-0-0-10', '100.64.0.0/10', ['100.64.0.0', '100.127.255.255'], [['100.63.255.255', null], ['100.128.0.0', null]]],
  ['127-0-0-0-8', '127.0.0.0/8', ['127.0.0.0', '127.255.255.255'], [['126.255.255.255', null], ['128.0.0.0', null]]],
  ['169-254-0-0-16', '169.254.0.0/16', ['169.254.0.0', '169.254.255.255'], [['169.253.255.255', null], ['169.255.0.0', null]]],
  ['172-16-0-0-12', '172.16.0.0/12', ['172.16.0.0', '172.31.255.255'], [['172.15.255.255', null], ['172.32.0.0', null]]],
  ['192-168-0-0-16', '192.168.0.0/16', ['192.168.0.0', '192.168.255.255'], [['192.167.255.255', null], ['192.169.0.0', null]]],
  ['224-0-0-0-4', '224.0.0.0/4', ['224.0.0.0', '239.255.255.255'], [['223.255.255.255', null]]],
  ['240-0-0-0-4', '240.0.0.0/4', ['240.0.0.0', '255.255.255.254'], [['255.255.255.255', 'broadcast']]],
  ['documentation', 'documentation', [], [['192.0.2.1', null], ['198.51.100.1', null], ['203.0.113.1', null], ['198.18.0.1', null], ['2001:db8::1', null]]],
  ['v6-unspecified-loopback-compatible', '::/128, ::1/128, ::/96', ['::', '::1', '::2', '::ffff:ffff'], [['::1:0:0', null]]],
  ['ffff-0-0-0-96', '::ffff:0:0:0/96', ['::ffff:0:0:0', '::ffff:0:ffff:ffff'], [['::fffe:ffff:ffff:ffff', null], ['::ffff:1:0:0', null]]],
  ['64-ff9b-96', '64:ff9b::/96', ['64:ff9b::', '64:ff9b::ffff:ffff'], [['64:ff9a:ffff:ffff:ffff:ffff:ffff:ffff', null], ['64:ff9b::1:0:0', null]]],
  ['64-ff9b-1-48', '64:ff9b:1::/48', ['64:ff9b:1::', '64:ff9b:1:ffff:ffff:ffff:ffff:ffff'], [['64:ff9b:2::', null]]],
  ['2002-16', '2002::/16', ['2002::', '2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff'], [['2003::', null]]],
  ['2001-32', '2001::/32', ['2001::', '2001:0:ffff:ffff:ffff:ffff:ffff:ffff'], [['2000:ffff:ffff:ffff:ffff:ffff:ffff:ffff', null], ['2001:1::', null]]],
  ['fc00-7', 'fc00::/7', ['fc00::', 'fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'], [['fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', null], ['fe00::', null]]],
  ['fe80-10', 'fe80::/10', ['fe80::', 'febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff'], [['fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff', null]]],
  ['fec0-10', 'fec0::/10', ['fec0::', 'feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'], []],
  ['ff00-8', 'ff00::/8', ['ff00::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'], [['feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'site-local']]],
];

const edgeCases: DecideCase[] = RANGE_EDGES.map(([id, range, inside, outside]) => ({
  kind: 'decide',
  id: `edge-${id}`,
  category: 'ip-spelling',
  title: `edges of ${range}: ${[...inside.map((a) => `${a} inside`), ...outside.map(([a, l]) => `${a} ${l ?? 'public'}`)].join(', ')}`,
  inside,
  outside,
}));

export const CATALOGUE: Case[] = [...hostCases, ...httpCases, ...socksCases, ...nsCases, ...edgeCases];

/** The entry points a host case runs through. */
export function entryPointsOf(c: Case): EntryPoint[] {
  if (c.kind === 'http-raw') return ['http-raw'];
  if (c.kind === 'socks-raw') return ['socks-raw'];
  if (c.kind === 'namespace') return ['namespace'];
  if (c.kind === 'decide') return c.inside.length > 0 ? ['decide', 'connect', 'socks-domain'] : ['decide'];
  if (c.via) return c.via;
  const via: EntryPoint[] = ['connect', 'absolute'];
  // A SOCKS domain carries at most 255 bytes.
  if (Buffer.byteLength(c.host, 'utf8') <= 255) via.push('socks-domain');
  if (c.ipv4) via.push('socks-ipv4');
  if (c.ipv6) via.push('socks-ipv6');
  return via;
}

export function outcomeFor(c: Exclude<Case, DecideCase>, via: EntryPoint): Outcome {
  if (c.kind === 'host' && c.expectVia?.[via]) return c.expectVia[via] as Outcome;
  return c.expect;
}

/** The expected-outcome column of the table in docs/catalogue.md. */
export function expectedText(c: Case): string {
  if (c.kind === 'decide') {
    const parts = [];
    if (c.inside.length) parts.push('inside: refused: internal-address');
    if (c.outside.length) parts.push(`outside: ${[...new Set(c.outside.map(([, l]) => l ?? 'public'))].join(', ')}`);
    return parts.join('; ');
  }
  const main = describeOutcome(c.expect);
  if (c.kind !== 'host' || !c.expectVia) return main;
  const other = Object.entries(c.expectVia).map(([via, o]) => `${via}: ${describeOutcome(o as Outcome)}`);
  return `${main} (${other.join('; ')})`;
}

export function describeOutcome(o: Outcome): string {
  if ('refused' in o) return `refused: ${o.refused}`;
  if ('closed' in o) return 'closed, no answer';
  if ('fails' in o) return 'fails at once';
  return `allowed: ${o.allowed.host} → ${o.allowed.address}`;
}
