import { compilePolicy, decide } from '../../sandbox/policy';
import type { CompiledPolicy, Decision, Target } from '../../sandbox/policy';

const allowlist = compilePolicy({
  networkMode: 'allowlist',
  networkAllowlist: [
    'x.com',
    '*.x.com:443',
    'both.test',
    '10.1.2.0/24:5432',
    '93.184.216.34',
    '[2001:db8::/32]:443',
    '*.internal.test',
    '192.168.7.7',
  ],
  networkDenylist: ['bad.x.com', '*.evil.x.com', 'x.com:25', '203.0.113.0/24', '@cloud-metadata'],
});

const name = (host: string, port: number, addresses?: string[]): Target =>
  addresses === undefined ? { host, kind: 'name', port } : { host, kind: 'name', port, addresses };
const ip = (host: string, port: number): Target => ({ host, kind: host.includes(':') ? 'ipv6' : 'ipv4', port });

function expectDecision(d: Decision, want: Partial<Decision> & Record<string, unknown>) {
  expect(d).toMatchObject(want);
  if (want.allowed === true) expect(d).not.toHaveProperty('reason');
  if (!d.allowed) {
    expect(typeof d.message).toBe('string');
    expect(d.message).not.toContain('\n');
  }
  for (const key of ['rule', 'address'] as const) {
    if (!(key in want)) expect(d[key]).toBeUndefined();
  }
}

describe('decide: name stage (no addresses yet), allowlist mode', () => {
  test.each<[string, Target, Record<string, unknown>]>([
    ['apex allowed on any port', name('x.com', 80), { allowed: true, rule: 'x.com' }],
    ['apex canonicalized first', name('X.COM.', 8080), { allowed: true, rule: 'x.com' }],
    ['subdomain by the wildcard on its port', name('a.x.com', 443), { allowed: true, rule: '*.x.com:443' }],
    ['deep subdomain', name('a.b.c.x.com', 443), { allowed: true, rule: '*.x.com:443' }],
    ['subdomain on another port', name('a.x.com', 80), { allowed: false, reason: 'not-allowlisted' }],
    ['look-alike evilx.com', name('evilx.com', 443), { allowed: false, reason: 'not-allowlisted' }],
    ['look-alike x.com.evil.com', name('x.com.evil.com', 443), { allowed: false, reason: 'not-allowlisted' }],
    ['look-alike a.x.com.evil.com', name('a.x.com.evil.com', 443), { allowed: false, reason: 'not-allowlisted' }],
    ['deny by name wins over the wildcard', name('bad.x.com', 443), { allowed: false, reason: 'denylisted', rule: 'bad.x.com' }],
    ['deny by wildcard wins', name('a.evil.x.com', 443), { allowed: false, reason: 'denylisted', rule: '*.evil.x.com' }],
    ['deny with a port wins over the allowed apex', name('x.com', 25), { allowed: false, reason: 'denylisted', rule: 'x.com:25' }],
    ['deny by preset name', name('metadata.google.internal', 80), { allowed: false, reason: 'denylisted', rule: 'metadata.google.internal' }],
    ['IDN spelling is matched canonically', name('bücher.example', 443), { allowed: false, reason: 'not-allowlisted' }],
    ['malformed host', name('a b.x.com', 443), { allowed: false, reason: 'malformed' }],
    ['malformed: two trailing dots', name('x.com..', 443), { allowed: false, reason: 'malformed' }],
    ['malformed: zone id', ip('fe80::1%eth0', 443), { allowed: false, reason: 'malformed' }],
    ['malformed: port 0', name('x.com', 0), { allowed: false, reason: 'malformed' }],
    ['malformed: port 65536', name('x.com', 65536), { allowed: false, reason: 'malformed' }],
    ['malformed: port 1.5', name('x.com', 1.5), { allowed: false, reason: 'malformed' }],
  ])('%s', (_, target, want) => {
    expectDecision(decide(allowlist, target), want);
  });

  test('the refusal message names the target', () => {
    const d = decide(allowlist, name('api.evil.test', 443));
    expect(d).toEqual({ allowed: false, reason: 'not-allowlisted', message: 'api.evil.test:443 is not on the allowlist' });
  });
});

describe('decide: the internal-address message says what was refused and why, in one sentence', () => {
  const open = compilePolicy({ networkMode: 'allowlist', networkAllowlist: ['x.com', '127.0.0.1'] });
  test.each<[string, Target, string]>([
    ['a name with one internal answer', name('x.com', 80, ['10.0.0.1']), 'x.com:80 resolves to 10.0.0.1, which is private, not public, and no IP or CIDR entry allows it'],
    [
      'a name whose every answer is internal',
      name('x.com', 80, ['10.0.0.1', '192.168.1.1']),
      'x.com:80 resolves to 10.0.0.1, which is private, not public, and no IP or CIDR entry allows it, as is every other address it resolves to (2 in all)',
    ],
    ['an address target', ip('127.0.0.1', 3128), "127.0.0.1:3128 is the proxy's own listening address"],
  ])('%s', (_, target, message) => {
    const d = decide(open, target, ['127.0.0.1:3128']);
    expect(d).toMatchObject({ allowed: false, reason: 'internal-address', message });
  });
});

describe('decide: with resolved addresses, allowlist mode', () => {
  test.each<[string, Target, Record<string, unknown>]>([
    ['a public answer is dialled', name('x.com', 443, ['93.184.216.34']), { allowed: true, rule: 'x.com', address: '93.184.216.34' }],
    [
      'internal and public answers: the public one is dialled',
      name('x.com', 443, ['10.0.0.5', '192.168.1.1', '93.184.216.34', '8.8.8.8']),
      { allowed: true, rule: 'x.com', address: '93.184.216.34' },
    ],
    ['a public IPv6 answer after an internal one', name('x.com', 443, ['::1', '2001:db8::5']), { allowed: true, rule: 'x.com', address: '2001:db8::5' }],
    [
      'only internal answers: internal-address, first one reported',
      name('x.com', 443, ['10.0.0.5', '192.168.1.1', '::1']),
      { allowed: false, reason: 'internal-address', rule: 'x.com', address: '10.0.0.5' },
    ],
    ['loopback answer', name('a.x.com', 443, ['127.0.0.1']), { allowed: false, reason: 'internal-address', rule: '*.x.com:443', address: '127.0.0.1' }],
    ['IPv4-mapped loopback answer', name('x.com', 443, ['::ffff:127.0.0.1']), { allowed: false, reason: 'internal-address', rule: 'x.com', address: '127.0.0.1' }],
    ['IPv4-compatible answer', name('x.com', 443, ['::7f00:1']), { allowed: false, reason: 'internal-address', rule: 'x.com', address: '::7f00:1' }],
    ['NAT64 answer', name('x.com', 443, ['64:ff9b::a00:1']), { allowed: false, reason: 'internal-address', rule: 'x.com', address: '64:ff9b::a00:1' }],
    ['6to4 answer', name('x.com', 443, ['2002:a00:1::1']), { allowed: false, reason: 'internal-address', rule: 'x.com', address: '2002:a00:1::1' }],
    ['Teredo answer', name('x.com', 443, ['2001::1']), { allowed: false, reason: 'internal-address', rule: 'x.com', address: '2001::1' }],
    ['unique-local answer', name('x.com', 443, ['fd12::1']), { allowed: false, reason: 'internal-address', rule: 'x.com', address: 'fd12::1' }],
    ['CGNAT answer', name('x.com', 443, ['100.64.0.1']), { allowed: false, reason: 'internal-address', rule: 'x.com', address: '100.64.0.1' }],
    ['unspecified answer', name('x.com', 443, ['0.0.0.0']), { allowed: false, reason: 'internal-address', rule: 'x.com', address: '0.0.0.0' }],
    ['documentation range is public', name('x.com', 443, ['192.0.2.1']), { allowed: true, rule: 'x.com', address: '192.0.2.1' }],
    [
      'internal answer explicitly allowed by a CIDR with its port',
      name('x.com', 5432, ['10.1.2.3']),
      { allowed: true, rule: 'x.com', address: '10.1.2.3' },
    ],
    [
      'the same on another port is refused',
      name('x.com', 80, ['10.1.2.3']),
      { allowed: false, reason: 'internal-address', rule: 'x.com', address: '10.1.2.3' },
    ],
    ['a mapped answer is compared as IPv4', name('x.com', 5432, ['::ffff:10.1.2.3']), { allowed: true, rule: 'x.com', address: '10.1.2.3' }],
    ['an explicit single address lets an internal answer through', name('a.internal.test', 80, ['192.168.7.7']), { allowed: true, rule: '*.internal.test', address: '192.168.7.7' }],
    ['but not its neighbour', name('a.internal.test', 80, ['192.168.7.8']), { allowed: false, reason: 'internal-address', rule: '*.internal.test', address: '192.168.7.8' }],
    [
      'deny by a resolved address wins, even with a public answer first',
      name('x.com', 443, ['93.184.216.34', '203.0.113.7']),
      { allowed: false, reason: 'denylisted', rule: '203.0.113.0/24', address: '203.0.113.7' },
    ],
    [
      'deny by the metadata preset address',
      name('x.com', 443, ['169.254.169.254']),
      { allowed: false, reason: 'denylisted', rule: '169.254.0.0/16', address: '169.254.169.254' },
    ],
    ['deny by name before any address', name('bad.x.com', 443, ['93.184.216.34']), { allowed: false, reason: 'denylisted', rule: 'bad.x.com' }],
    [
      'a name needs a name entry, even if its address is allowed',
      name('other.test', 443, ['93.184.216.34']),
      { allowed: false, reason: 'not-allowlisted' },
    ],
    ['no answers', name('x.com', 443, []), { allowed: false, reason: 'resolve-failed' }],
    ['an answer that is not an IP', name('x.com', 443, ['x.com']), { allowed: false, reason: 'malformed', address: 'x.com' }],
  ])('%s', (_, target, want) => {
    expectDecision(decide(allowlist, target), want);
  });
});

describe('decide: IP targets, allowlist mode', () => {
  test.each<[string, Target, Record<string, unknown>]>([
    ['allowed address', ip('93.184.216.34', 443), { allowed: true, rule: '93.184.216.34', address: '93.184.216.34' }],
    ['non-canonical spelling of it', ip('1572395042', 443), { allowed: true, rule: '93.184.216.34', address: '93.184.216.34' }],
    ['not on the list', ip('8.8.8.8', 443), { allowed: false, reason: 'not-allowlisted', address: '8.8.8.8' }],
    ['internal, allowed by CIDR and port', ip('10.1.2.3', 5432), { allowed: true, rule: '10.1.2.0/24:5432', address: '10.1.2.3' }],
    ['internal, spelled 0x0a.1.2.3', ip('0x0a.1.2.3', 5432), { allowed: true, rule: '10.1.2.0/24:5432', address: '10.1.2.3' }],
    ['internal, wrong port', ip('10.1.2.3', 22), { allowed: false, reason: 'not-allowlisted', address: '10.1.2.3' }],
    ['loopback is not allowed by anything', ip('127.0.0.1', 80), { allowed: false, reason: 'not-allowlisted', address: '127.0.0.1' }],
    ['IPv6 in a CIDR with port', ip('2001:db8::1', 443), { allowed: true, rule: '[2001:db8::/32]:443', address: '2001:db8::1' }],
    ['IPv6 bracketed', ip('[2001:DB8::1]', 443), { allowed: true, rule: '[2001:db8::/32]:443', address: '2001:db8::1' }],
    ['IPv6 wrong port', ip('2001:db8::1', 80), { allowed: false, reason: 'not-allowlisted', address: '2001:db8::1' }],
    ['denylisted address', ip('203.0.113.9', 443), { allowed: false, reason: 'denylisted', rule: '203.0.113.0/24', address: '203.0.113.9' }],
    ['denylisted metadata, mapped spelling', ip('::ffff:169.254.169.254', 80), { allowed: false, reason: 'denylisted', rule: '169.254.0.0/16', address: '169.254.169.254' }],
    ['denylisted AWS IPv6 IMDS', ip('fd00:ec2::254', 80), { allowed: false, reason: 'denylisted', rule: 'fd00:ec2::254', address: 'fd00:ec2::254' }],
  ])('%s', (_, target, want) => {
    expectDecision(decide(allowlist, target), want);
  });

  test('IPv6 targets are shown in brackets', () => {
    const d = decide(allowlist, ip('2001:db8::1', 80));
    expect(!d.allowed && d.message).toBe('[2001:db8::1]:80 is not on the allowlist');
  });
});

describe('decide: the proxies own addresses', () => {
  const p = compilePolicy({ networkMode: 'allowlist', networkAllowlist: ['127.0.0.0/8', '::1', 'self.test'] });
  const self = ['127.0.0.1:3128', '[::1]:1080'];

  test.each<[string, Target, Record<string, unknown>]>([
    ['an explicitly allowed loopback address', ip('127.0.0.1', 80), { allowed: true, rule: '127.0.0.0/8', address: '127.0.0.1' }],
    ['the proxy itself', ip('127.0.0.1', 3128), { allowed: false, reason: 'internal-address', rule: '127.0.0.0/8', address: '127.0.0.1' }],
    ['the proxy itself, other spelling', ip('127.1', 3128), { allowed: false, reason: 'internal-address', rule: '127.0.0.0/8', address: '127.0.0.1' }],
    ['the IPv6 proxy', ip('::1', 1080), { allowed: false, reason: 'internal-address', rule: '::1', address: '::1' }],
    ['a name resolving to the proxy and elsewhere', name('self.test', 3128, ['127.0.0.1', '127.0.0.2']), { allowed: true, rule: 'self.test', address: '127.0.0.2' }],
    ['a name resolving only to the proxy', name('self.test', 3128, ['127.0.0.1']), { allowed: false, reason: 'internal-address', rule: 'self.test', address: '127.0.0.1' }],
  ])('%s', (_, target, want) => {
    expectDecision(decide(p, target, self), want);
  });

  test('self is refused in open mode too', () => {
    const open = compilePolicy({ networkMode: 'open' });
    expectDecision(decide(open, ip('127.0.0.1', 3128), self), { allowed: false, reason: 'internal-address', address: '127.0.0.1' });
    expectDecision(decide(open, ip('127.0.0.1', 3129), self), { allowed: true, address: '127.0.0.1' });
  });

  test('a malformed self entry is ignored', () => {
    expectDecision(decide(p, ip('127.0.0.1', 80), ['garbage', '127.0.0.1']), { allowed: true, rule: '127.0.0.0/8', address: '127.0.0.1' });
  });
});

describe('decide: open mode', () => {
  const open = compilePolicy({ networkMode: 'open', networkDenylist: ['bad.test', '*.bad.test', '10.0.0.0/8', '[2001:db8::/32]:25'] });

  test.each<[string, Target, Record<string, unknown>]>([
    ['any name, name stage', name('ok.test', 443), { allowed: true }],
    ['denied name', name('bad.test', 443), { allowed: false, reason: 'denylisted', rule: 'bad.test' }],
    ['denied subdomain', name('a.bad.test', 443), { allowed: false, reason: 'denylisted', rule: '*.bad.test' }],
    ['look-alike not denied', name('notbad.test', 443), { allowed: true }],
    ['denied by a resolved address', name('ok.test', 443, ['8.8.8.8', '10.9.9.9']), { allowed: false, reason: 'denylisted', rule: '10.0.0.0/8', address: '10.9.9.9' }],
    ['the backstop is off: internal answers are dialled', name('ok.test', 443, ['192.168.0.1']), { allowed: true, address: '192.168.0.1' }],
    ['loopback IP allowed', ip('127.0.0.1', 80), { allowed: true, address: '127.0.0.1' }],
    ['denied IP', ip('10.0.0.1', 80), { allowed: false, reason: 'denylisted', rule: '10.0.0.0/8', address: '10.0.0.1' }],
    ['deny with a port: that port', ip('2001:db8::1', 25), { allowed: false, reason: 'denylisted', rule: '[2001:db8::/32]:25', address: '2001:db8::1' }],
    ['deny with a port: other ports pass', ip('2001:db8::1', 443), { allowed: true, address: '2001:db8::1' }],
  ])('%s', (_, target, want) => {
    expectDecision(decide(open, target), want);
  });

  test('open without a denylist allows everything well formed', () => {
    const p = compilePolicy({ networkMode: 'open' });
    expectDecision(decide(p, name('anything.test', 1, ['127.0.0.1'])), { allowed: true, address: '127.0.0.1' });
    expectDecision(decide(p, name('a b', 1)), { allowed: false, reason: 'malformed' });
  });
});

describe('decide: blocked refuses everything', () => {
  // An allowlist session narrowed to blocked for one call: its allowlist does not apply.
  const blocked: CompiledPolicy = compilePolicy({ networkMode: 'allowlist', networkAllowlist: ['x.com'] }, { networkMode: 'blocked' });
  test.each<[Target]>([[name('x.com', 443)], [name('x.com', 443, ['93.184.216.34'])], [ip('93.184.216.34', 443)], [ip('127.0.0.1', 80)]])(
    '%j',
    (target) => {
      expectDecision(decide(blocked, target), { allowed: false, reason: 'not-allowlisted' });
    },
  );
});

describe('decide: a deny entry always wins over an identical allow entry', () => {
  const p = compilePolicy({
    networkMode: 'allowlist',
    networkAllowlist: ['same.test', '10.0.0.0/8'],
    networkDenylist: ['same.test', '10.0.0.0/8'],
  });
  test('name', () => {
    expectDecision(decide(p, name('same.test', 443)), { allowed: false, reason: 'denylisted', rule: 'same.test' });
  });
  test('address', () => {
    expectDecision(decide(p, ip('10.1.1.1', 443)), { allowed: false, reason: 'denylisted', rule: '10.0.0.0/8', address: '10.1.1.1' });
  });
});
