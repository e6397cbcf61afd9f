// Property-based tests of the entry parser, the canonicalizer and the decision (fast-check):
// nothing crashes, canonical output is a fixed point, and no target is allowed that a small
// independent model of the decision (docs/policy.md) refuses.

import fc from 'fast-check';
import { SandboxPolicyError } from '../../sandbox/errors';
import { canonicalizeHost, compilePolicy, decide, isHostProblem, parseEntry, splitHostPort } from '../../sandbox/policy';
import type { NetworkMode } from '../../sandbox/types';

const RUNS = { numRuns: 2_000 };

// Hosts built from pieces that matter: dots, digits, hex, brackets, colons, percent, Unicode.
const hostPiece = fc.constantFrom(
  '.', '..', ':', '::', '[', ']', '%', '0x', '0', '1', '7f', '127', '255', '256', '0177', 'ffff', 'a', 'A', 'xn--', '-', '_',
  'example', 'test', '\u0000', '\r\n', ' ', '\u00ad', '\uff41', '\u3002', '\u0430', '*', '@', '/', '\\', 'ß', '\u200d', '\ufe0f',
);
const hostish = fc.oneof(
  fc.array(hostPiece, { maxLength: 12 }).map((a) => a.join('')),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ maxLength: 300 }),
);

describe('canonicalizeHost', () => {
  test('never throws; a result is a problem or canonical text that is its own canonical form', () => {
    fc.assert(
      fc.property(hostish, (raw) => {
        const c = canonicalizeHost(raw);
        if (isHostProblem(c)) return typeof c.problem === 'string' && !/[\r\n]/.test(c.problem.replace(raw, ''));
        const again = canonicalizeHost(c.host);
        expect(again).toEqual(c);
        if (c.kind === 'name') {
          // The reference shape of a canonical name (docs/policy.md, "Canonicalization").
          expect(c.host.length).toBeLessThanOrEqual(253);
          for (const label of c.host.split('.')) expect(label).toMatch(/^[a-z0-9_-]{1,63}$/);
          expect(c.host).not.toMatch(/\.(\d+|0x[0-9a-f]*)$/i);
          expect(c.host).not.toMatch(/^(\d+|0x[0-9a-f]*)$/i);
        }
        if (c.kind === 'ipv4') expect(c.host).toMatch(/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/);
        return true;
      }),
      RUNS,
    );
  });

  test('every inet_aton spelling of an IPv4 address canonicalizes to its dotted quad', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 5 }), (n, style) => {
        const b = [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
        const quad = b.join('.');
        const spellings = [
          String(n),
          `0x${n.toString(16)}`,
          b.map((x) => `0${x.toString(8)}`).join('.'),
          b.map((x) => `0x${x.toString(16)}`).join('.'),
          `${b[0]}.${(n & 0xffffff) >>> 0}`,
          `${b[0]}.${b[1]}.${n & 0xffff}`,
          b.map((x) => String(x).padStart(3, '0').replace(/^0+(?=\d)/, (z) => z)).join('.'),
        ];
        const s = spellings[style];
        const c = canonicalizeHost(s);
        expect({ s, c }).toEqual({ s, c: { kind: 'ipv4', host: quad } });
        // And IPv4-mapped IPv6 is the same address.
        expect(canonicalizeHost(`[::ffff:${quad}]`)).toEqual({ kind: 'ipv4', host: quad });
      }),
      RUNS,
    );
  });

  test('IPv6 text of random addresses is canonical after one pass and stable after two', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), fc.boolean(), (groups, upper) => {
        let text = groups.map((g) => g.toString(16)).join(':');
        if (upper) text = text.toUpperCase();
        const c = canonicalizeHost(`[${text}]`);
        if (isHostProblem(c)) throw new Error(`${text}: ${c.problem}`);
        expect(canonicalizeHost(c.host)).toEqual(c);
        expect(canonicalizeHost(`[${text}%eth0]`)).toHaveProperty('problem');
      }),
      RUNS,
    );
  });

  test('splitHostPort never throws and gives a port in 1..65535', () => {
    fc.assert(
      fc.property(hostish, fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }), (raw, def) => {
        const r = splitHostPort(raw, def);
        if (!isHostProblem(r)) {
          expect(Number.isInteger(r.port) && r.port >= 1 && r.port <= 65535).toBe(true);
        }
      }),
      RUNS,
    );
  });
});

describe('parseEntry', () => {
  const entryish = fc.oneof(
    hostish,
    fc.tuple(fc.constantFrom('', '*.', '[', '@'), hostish, fc.constantFrom('', '/8', '/32', '/0', '/129', ':443', ':0', ':65536', ']:80', '/24:5432')).map(
      ([a, b, c]) => a + b + c,
    ),
    fc.constantFrom('10.0.0.0/8', '10/8', '10.0.0.1/8', '[2001:db8::/32]:443', '2001:db8::/32', '*.com', '*', '@pypi', '@PYPI', '::ffff:10.0.0.1', 'a.b:08'),
  );
  test('throws only SandboxPolicyError; an accepted entry is written canonically and re-parses to itself', () => {
    fc.assert(
      fc.property(entryish, (text) => {
        let entries;
        try {
          entries = parseEntry(text, 'networkAllowlist');
        } catch (e) {
          expect(e).toBeInstanceOf(SandboxPolicyError);
          expect((e as Error).message).not.toMatch(/[\r\n]/);
          return;
        }
        if (!text.startsWith('@')) {
          expect(entries.map((e) => e.text)).toEqual([text]);
          expect(parseEntry(entries[0].text, 'x').map((e) => e.text)).toEqual([text]);
        }
      }),
      RUNS,
    );
  });
});

// ---- the decision against a reference model ------------------------------------------------

/** A small, independent model of the decision (docs/policy.md) over canonical input: BigInt ranges, suffix names. */
type ModelEntry = { name?: string; wildcard?: boolean; net?: bigint; len?: number; v6?: boolean; port: number | null };

function ipToBig(text: string): { v: bigint; v6: boolean } {
  if (!text.includes(':')) return { v: text.split('.').reduce((a, x) => (a << 8n) | BigInt(Number(x)), 0n), v6: false };
  const [h, t] = text.includes('::') ? text.split('::') : [text, ''];
  const hs = h ? h.split(':') : [];
  const ts = t ? t.split(':') : [];
  const groups = [...hs, ...Array(8 - hs.length - ts.length).fill('0'), ...ts];
  return { v: groups.reduce((a, g) => (a << 16n) | BigInt(parseInt(g, 16)), 0n), v6: true };
}

function modelEntry(text: string): ModelEntry {
  let body = text;
  let port: number | null = null;
  const m = /^\[(.*)\]:(\d+)$/.exec(text) ?? (!/:.*:/.test(text) ? /^(.*):(\d+)$/.exec(text) : null);
  if (m) {
    body = m[1];
    port = Number(m[2]);
  }
  if (/^[\d.]+(\/\d+)?$/.test(body) || body.includes(':')) {
    const [a, l] = body.split('/');
    const { v, v6 } = ipToBig(a);
    return { net: v, len: l === undefined ? (v6 ? 128 : 32) : Number(l), v6, port };
  }
  return body.startsWith('*.') ? { name: body.slice(2), wildcard: true, port } : { name: body, wildcard: false, port };
}

const inRange = (a: string, e: ModelEntry): boolean => {
  if (e.net === undefined) return false;
  const { v, v6 } = ipToBig(a);
  if (v6 !== e.v6) return false;
  const bits = BigInt((v6 ? 128 : 32) - (e.len as number));
  return v >> bits === (e.net as bigint) >> bits;
};
const portOk = (e: ModelEntry, port: number) => e.port === null || e.port === port;
const nameMatch = (e: ModelEntry, name: string, port: number) =>
  e.name !== undefined && portOk(e, port) && (e.wildcard ? name.endsWith(`.${e.name}`) : name === e.name);
const addrMatch = (e: ModelEntry, a: string, port: number) => portOk(e, port) && inRange(a, e);

// The decision's step 4 (docs/policy.md), written out again from the text.
const INTERNAL = [
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.168.0.0/16', '224.0.0.0/4',
  '240.0.0.0/4', '::/96', '::1/128', '64:ff9b::/96', '64:ff9b:1::/48', '2002::/16', '2001::/32', 'fc00::/7', 'fe80::/10', 'fec0::/10', 'ff00::/8',
].map(modelEntry);
const internal = (a: string) => INTERNAL.some((e) => inRange(a, e));

type ModelTarget = { host: string; kind: 'name' | 'ipv4' | 'ipv6'; port: number; addresses?: string[] };

/** The set of addresses the model would let the proxy dial ('*' = name stage passes). */
function modelPermits(mode: NetworkMode, allow: ModelEntry[], deny: ModelEntry[], t: ModelTarget, self: string[]): Set<string> {
  const none = new Set<string>();
  if (mode === 'blocked') return none;
  const isName = t.kind === 'name';
  if (isName && deny.some((e) => nameMatch(e, t.host, t.port))) return none;
  const addrs = isName ? t.addresses : [t.host];
  if (allowlistRefuses()) return none;
  if (addrs === undefined) return new Set(['*']);
  if (addrs.some((a) => deny.some((e) => addrMatch(e, a, t.port)))) return none;
  const ok = new Set<string>();
  for (const a of addrs) {
    if (self.includes(`${a}|${t.port}`)) continue;
    if (mode === 'allowlist' && internal(a) && !allow.some((e) => addrMatch(e, a, t.port))) continue;
    ok.add(a);
  }
  return ok;
  function allowlistRefuses(): boolean {
    if (mode !== 'allowlist') return false;
    return isName ? !allow.some((e) => nameMatch(e, t.host, t.port)) : !allow.some((e) => addrMatch(e, t.host, t.port));
  }
}

const ENTRY_POOL = [
  'api.example.test', 'api.example.test:443', '*.example.test', '*.a.example.test:80', 'b.example.test', 'evil.example.test',
  '10.0.0.0/8', '10.1.2.3', '127.0.0.1/32', '127.0.0.0/8:80', '169.254.0.0/16', '0.0.0.0/0', '198.51.100.0/24', '192.0.2.7:443',
  '::1', '[2001:db8::/32]:443', '2001:db8::/32', 'fc00::/7', '64:ff9b::/96', '::/0', '2002::/16', '100.64.0.0/10',
];
const NAME_POOL = ['api.example.test', 'x.example.test', 'x.a.example.test', 'a.example.test', 'evil.example.test', 'b.example.test', 'example.test', 'other.test'];
const ADDR_POOL = [
  '127.0.0.1', '127.0.0.2', '10.0.0.1', '10.255.255.255', '11.0.0.0', '9.255.255.255', '169.254.169.254', '100.64.0.1', '100.128.0.0',
  '0.0.0.0', '198.51.100.7', '192.0.2.7', '203.0.113.9', '8.8.8.8', '224.0.0.1', '255.255.255.255', '172.16.0.1', '172.32.0.1',
  '::1', '::', '::7f00:1', '64:ff9b::a00:1', '2002:a00:1::1', '2001::1', '2001:db8::1', 'fd00::1', 'fe80::1', 'fec0::1', 'ff02::1', '2606:4700::1111',
];

describe('decide against the reference model', () => {
  test('nothing is allowed that the model refuses; the dialed address is one the model permits', () => {
    const entryList = fc.uniqueArray(fc.constantFrom(...ENTRY_POOL), { maxLength: 5 });
    const target = fc.oneof(
      fc.record({ host: fc.constantFrom(...NAME_POOL), kind: fc.constant('name' as const), port: fc.constantFrom(80, 443, 5432),
        addresses: fc.option(fc.array(fc.constantFrom(...ADDR_POOL), { minLength: 1, maxLength: 4 }), { nil: undefined }) }),
      fc.constantFrom(...ADDR_POOL).chain((a) =>
        fc.record({ host: fc.constant(a), kind: fc.constant(a.includes(':') ? ('ipv6' as const) : ('ipv4' as const)), port: fc.constantFrom(80, 443, 5432) }),
      ),
    );
    fc.assert(
      fc.property(
        fc.constantFrom<NetworkMode>('blocked', 'allowlist', 'open'), entryList, entryList, target,
        fc.constantFrom<string[]>([], ['127.0.0.1:80'], ['127.0.0.1:443', '[::1]:5432']),
        (mode, allowTexts, denyTexts, t, self) => {
          // A blocked session takes no allowlist (refused as a forgotten networkMode): its calls run blocked.
          const policy =
            mode === 'blocked'
              ? compilePolicy({ networkMode: 'allowlist', networkAllowlist: allowTexts, networkDenylist: denyTexts }, { networkMode: 'blocked' })
              : compilePolicy({ networkMode: mode, networkAllowlist: allowTexts, networkDenylist: denyTexts });
          const d = decide(policy, t, self);
          const selfSet = self.flatMap((s) => {
            const hp = splitHostPort(s) as { host: string; port: number };
            const h = hp.host;
            // Connecting to the unspecified address reaches loopback.
            const same = h === '127.0.0.1' ? ['0.0.0.0'] : h === '::1' ? ['::'] : [];
            return [h, ...same].map((x) => `${x}|${hp.port}`);
          });
          const permits = modelPermits(mode, allowTexts.map(modelEntry), denyTexts.map(modelEntry), t, selfSet);
          if (!d.allowed) return;
          if (d.address === undefined) {
            expect({ t, mode, allowTexts, denyTexts, model: [...permits] }).toMatchObject({ model: ['*'] });
          } else {
            expect({ t, mode, allowTexts, denyTexts, self, dialed: d.address, ok: permits.has(d.address) }).toMatchObject({ ok: true });
          }
        },
      ),
      { numRuns: 5_000 },
    );
  });

  test('malformed hosts are refused as malformed, whatever the policy', () => {
    fc.assert(
      fc.property(hostish, fc.constantFrom<NetworkMode>('allowlist', 'open'), (raw, mode) => {
        const c = canonicalizeHost(raw);
        const d = decide(compilePolicy({ networkMode: mode, networkAllowlist: mode === 'allowlist' ? ['0.0.0.0/0', '::/0'] : [] }), {
          host: raw, kind: 'name', port: 443, addresses: ['127.0.0.1'],
        });
        if (isHostProblem(c)) expect(d).toMatchObject({ allowed: false, reason: 'malformed' });
      }),
      RUNS,
    );
  });
});
