import { SandboxPolicyError } from '../../sandbox/errors';
import {
  CLOUD_METADATA_DENY,
  PRESETS,
  PYPI_HOSTS,
  parseEntries,
  parseEntry,
} from '../../sandbox/policy';
import { entryMatchesAddress, entryMatchesName } from '../../sandbox/policy/entry';
import type { Entry } from '../../sandbox/policy';

const one = (text: string): Entry => {
  const es = parseEntry(text, 'networkAllowlist');
  expect(es).toHaveLength(1);
  return es[0];
};

function refusal(text: string, listName = 'networkAllowlist'): SandboxPolicyError {
  try {
    parseEntry(text, listName);
  } catch (e) {
    expect(e).toBeInstanceOf(SandboxPolicyError);
    return e as SandboxPolicyError;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

describe('parseEntry: every kind, canonical spellings accepted as written', () => {
  test.each<[string, Partial<Entry> & { rangeText?: string }]>([
    ['10.0.0.0/8', { kind: 'address', rangeText: '10.0.0.0/8', port: null }],
    ['10.0.0.0/8:5432', { kind: 'address', rangeText: '10.0.0.0/8', port: 5432 }],
    ['127.0.0.1', { kind: 'address', rangeText: '127.0.0.1/32', port: null }],
    ['127.0.0.1/32', { kind: 'address', rangeText: '127.0.0.1/32', port: null }],
    ['127.0.0.1:8080', { kind: 'address', rangeText: '127.0.0.1/32', port: 8080 }],
    ['0.0.0.0/0', { kind: 'address', rangeText: '0.0.0.0/0', port: null }],
    ['fd00:ec2::254', { kind: 'address', rangeText: 'fd00:ec2::254/128', port: null }],
    ['2001:db8::/32', { kind: 'address', rangeText: '2001:db8::/32', port: null }],
    ['[2001:db8::1]:443', { kind: 'address', rangeText: '2001:db8::1/128', port: 443 }],
    ['[2001:db8::/32]:443', { kind: 'address', rangeText: '2001:db8::/32', port: 443 }],
    ['::/0', { kind: 'address', rangeText: '::/0', port: null }],
    ['::7f00:1', { kind: 'address', rangeText: '::7f00:1/128', port: null }],
    ['pypi.org', { kind: 'name', name: 'pypi.org', wildcard: false, port: null }],
    ['pypi.org:443', { kind: 'name', name: 'pypi.org', wildcard: false, port: 443 }],
    ['*.pythonhosted.org', { kind: 'name', name: 'pythonhosted.org', wildcard: true, port: null }],
    ['*.pythonhosted.org:443', { kind: 'name', name: 'pythonhosted.org', wildcard: true, port: 443 }],
    ['*.co.uk', { kind: 'name', name: 'co.uk', wildcard: true, port: null }],
    ['localhost', { kind: 'name', name: 'localhost', wildcard: false, port: null }],
    ['xn--bcher-kva.example:1', { kind: 'name', name: 'xn--bcher-kva.example', port: 1 }],
    ['a_b.example:65535', { kind: 'name', name: 'a_b.example', port: 65535 }],
  ])('%s', (text, want) => {
    const e = one(text);
    expect(e.text).toBe(text);
    const { rangeText, ...rest } = want;
    expect(e).toMatchObject(rest);
    if (rangeText !== undefined) {
      expect(e.kind).toBe('address');
      if (e.kind === 'address') expect(`${e.range[0].toString()}/${e.range[1]}`).toBe(rangeText);
    }
  });
});

describe('parseEntry: refusals name the entry and say what to write', () => {
  test.each<[string, RegExp]>([
    // non-canonical spellings: the message gives the canonical one
    ['127.1', /write '127\.0\.0\.1'/],
    ['2130706433', /write '127\.0\.0\.1'/],
    ['0x7f.1:80', /write '127\.0\.0\.1:80'/],
    ['0177.0.0.1', /write '127\.0\.0\.1'/],
    ['PyPI.org', /write 'pypi\.org'/],
    ['pypi.org.', /write 'pypi\.org'/],
    ['bücher.example', /write 'xn--bcher-kva\.example'/],
    ['ＥＸＡＭＰＬＥ.com:443', /write 'example\.com:443'/],
    ['*.PythonHosted.org', /write '\*\.pythonhosted\.org'/],
    ['2001:DB8::/32', /write '2001:db8::\/32'/],
    ['2001:0db8::1', /write '2001:db8::1'/],
    ['[fd00:ec2::254]', /write 'fd00:ec2::254'/],
    ['[2001:db8::/32]', /write '2001:db8::\/32'/],
    ['[10.0.0.1]:80', /write '10\.0\.0\.1:80'/],
    ['10.0.0.0/08', /write '10\.0\.0\.0\/8'/],
    ['pypi.org:0443', /write 'pypi\.org:443'/],
    [' pypi.org', /white space.*write 'pypi\.org'/],
    ['pypi.org\n', /white space.*write 'pypi\.org'/],
    ['@PyPI', /write '@pypi'/],
    // IPv4-mapped IPv6: write the IPv4
    ['::ffff:127.0.0.1', /IPv4-mapped.*write the IPv4 address '127\.0\.0\.1'/],
    ['::ffff:7f00:1', /IPv4-mapped.*'127\.0\.0\.1'/],
    ['[::ffff:127.0.0.1]:80', /IPv4-mapped.*'127\.0\.0\.1:80'/],
    ['::ffff:10.0.0.0/104', /IPv4-mapped.*write the IPv4 CIDR '10\.0\.0\.0\/8'/],
    ['[::ffff:a00:0/104]:5432', /write the IPv4 CIDR '10\.0\.0\.0\/8:5432'/],
    // strict CIDRs
    ['10/8', /not a strict CIDR.*write.*'10\.0\.0\.0\/8'/],
    ['172.16/12', /'172\.16\.0\.0\/12'/],
    ['010.0.0.0/8', /not a strict CIDR.*four decimal numbers/],
    ['0x0a.0.0.0/8', /not a strict CIDR/],
    ['10.0.0.1/8', /host bits set: write '10\.0\.0\.0\/8' for the network, or '10\.0\.0\.1' for the one address/],
    ['10.0.0.1/8:5432', /host bits set: write '10\.0\.0\.0\/8:5432'/],
    ['2001:db8::1/32', /host bits set: write '2001:db8::\/32'.*'2001:db8::1'/],
    ['[2001:db8::1/32]:443', /host bits set: write '\[2001:db8::\/32\]:443'.*'\[2001:db8::1\]:443'/],
    ['10.0.0.0/33', /more than 32/],
    ['::/129', /more than 128/],
    ['10.0.0.0/', /prefix length ''/],
    ['10.0.0.0/x', /prefix length 'x'/],
    ['10.0.0.0/-1', /prefix length '-1'/],
    ['fd00::/8:443', /write '\[fd00::\/8\]:443'/],
    // wildcards
    ['*', /bare wildcard.*'\*\.example\.com'/],
    ['*.', /bare wildcard/],
    ['*.com', /single label.*'\*\.example\.com'/],
    ['*.com:443', /single label/],
    ['a.*.com', /only wildcard is a leading '\*\.'/],
    ['*a.com', /only wildcard is a leading '\*\.'/],
    ['**.a.com', /only wildcard is a leading '\*\.'/],
    ['*.*.a.com', /only wildcard is a leading '\*\.'/],
    ['a.com*', /only wildcard is a leading '\*\.'/],
    ['*.10.0.0.1', /wildcard on an address.*CIDR/],
    // ports
    ['pypi.org:0', /port '0'.*1 to 65535/],
    ['pypi.org:65536', /port '65536'/],
    ['pypi.org:', /port ''/],
    ['pypi.org:+443', /port '\+443'/],
    ['pypi.org:https', /port 'https'/],
    ['[::1]:x', /port 'x'/],
    ['[::1]x', /after the brackets/],
    ['[::1', /does not close/],
    // presets
    ['@nope', /unknown preset: the known presets are '@pypi', '@cloud-metadata'/],
    ['@', /unknown preset/],
    ['@pypi:443', /preset, which takes none: write '@pypi'/],
    // malformed hosts
    ['', /is empty/],
    ['foo.123', /ends in a number/],
    ['a..b', /empty label/],
    ['.a.com', /starts with a dot/],
    ['a b.com', /space/],
    ['a\u0000b', /NUL/],
    [`${'a'.repeat(64)}.com`, /more than 63/],
    ['fe80::1%eth0', /zone id/],
    ['user@pypi.org', /'@'/],
    ['https://pypi.org/simple', /is a URL.*write 'pypi\.org'/],
    ['pypi.org/simple', /not a URL; write 'pypi\.org'/],
    ['1::2::3', /not a valid IPv6/],
    ['256.1.1.1', /not a valid IPv4/],
  ])('%j', (text, why) => {
    const e = refusal(text);
    expect(e.message).toContain(`networkAllowlist entry '${text.replace(/\n/g, '\\n').replace(/\u0000/g, '\\u0000')}'`);
    expect(e.message).toMatch(why);
    expect(e.entry).toBe(text);
    expect(e.message).not.toContain('\n');
  });

  test('the list name appears in the message', () => {
    expect(refusal('127.1', 'networkDenylist').message).toMatch(/^networkDenylist entry '127\.1'/);
  });

  test('a non-string entry is refused', () => {
    expect(() => parseEntry(42 as unknown as string, 'networkAllowlist')).toThrow(SandboxPolicyError);
  });
});

describe('presets', () => {
  test('exact contents', () => {
    expect(PYPI_HOSTS).toEqual(['pypi.org', 'files.pythonhosted.org', '*.pythonhosted.org']);
    expect(CLOUD_METADATA_DENY).toEqual([
      '169.254.0.0/16',
      'fe80::/10',
      'fd00:ec2::254',
      'metadata.google.internal',
      'metadata.goog',
      '100.100.100.200',
      '168.63.129.16',
    ]);
    expect(Object.keys(PRESETS).sort()).toEqual(['@cloud-metadata', '@pypi']);
    expect(PRESETS['@pypi']).toBe(PYPI_HOSTS);
    expect(PRESETS['@cloud-metadata']).toBe(CLOUD_METADATA_DENY);
  });

  test.each(Object.keys(PRESETS))('%s expands to its canonical entries, in order', (name) => {
    const es = parseEntry(name, 'networkDenylist');
    expect(es.map((e) => e.text)).toEqual([...PRESETS[name]]);
  });

  test('every preset entry is canonical on its own', () => {
    for (const text of [...PYPI_HOSTS, ...CLOUD_METADATA_DENY]) expect(one(text).text).toBe(text);
  });

  test('presets are frozen', () => {
    expect(Object.isFrozen(PYPI_HOSTS)).toBe(true);
    expect(Object.isFrozen(CLOUD_METADATA_DENY)).toBe(true);
    expect(Object.isFrozen(PRESETS)).toBe(true);
  });
});

describe('parseEntries', () => {
  test('undefined is empty', () => {
    expect(parseEntries(undefined, 'networkAllowlist')).toEqual([]);
  });
  test('presets expand and duplicates are dropped, first kept', () => {
    const es = parseEntries(['pypi.org', '@pypi', '10.0.0.0/8', '10.0.0.0/8'], 'networkAllowlist');
    expect(es.map((e) => e.text)).toEqual(['pypi.org', 'files.pythonhosted.org', '*.pythonhosted.org', '10.0.0.0/8']);
  });
  test('one bad entry refuses the list', () => {
    expect(() => parseEntries(['pypi.org', '10/8'], 'networkDenylist')).toThrow(/networkDenylist entry '10\/8'/);
  });
  test('a string instead of an array is refused', () => {
    expect(() => parseEntries('pypi.org' as unknown as string[], 'networkAllowlist')).toThrow(/must be an array/);
  });
});

describe('entryMatchesName', () => {
  test.each<[string, string, number, boolean]>([
    ['x.com', 'x.com', 443, true],
    ['x.com', 'x.com', 1, true],
    ['x.com', 'a.x.com', 443, false],
    ['x.com', 'evilx.com', 443, false],
    ['x.com', 'x.com.evil.com', 443, false],
    ['x.com:443', 'x.com', 443, true],
    ['x.com:443', 'x.com', 80, false],
    ['*.x.com', 'a.x.com', 443, true],
    ['*.x.com', 'a.b.c.x.com', 443, true],
    ['*.x.com', 'x.com', 443, false],
    ['*.x.com', 'evilx.com', 443, false],
    ['*.x.com', 'a.evilx.com', 443, false],
    ['*.x.com', 'x.com.evil.com', 443, false],
    ['*.x.com', 'a.x.com.evil.com', 443, false],
    ['*.x.com:443', 'a.x.com', 443, true],
    ['*.x.com:443', 'a.x.com', 8443, false],
    ['10.0.0.0/8', '10.0.0.1', 443, false], // address entries never match names
  ])('%s vs %s:%d -> %s', (entry, name, port, want) => {
    expect(entryMatchesName(one(entry), name, port)).toBe(want);
  });
});

describe('entryMatchesAddress', () => {
  test.each<[string, string, number, boolean]>([
    ['10.0.0.0/8', '10.0.0.1', 1, true],
    ['10.0.0.0/8', '10.255.255.255', 1, true],
    ['10.0.0.0/8', '11.0.0.0', 1, false],
    ['10.0.0.0/8', '9.255.255.255', 1, false],
    ['10.0.0.0/8:5432', '10.1.2.3', 5432, true],
    ['10.0.0.0/8:5432', '10.1.2.3', 5433, false],
    ['127.0.0.1', '127.0.0.1', 80, true],
    ['127.0.0.1', '127.0.0.2', 80, false],
    ['127.0.0.1', '::ffff:127.0.0.1', 80, true], // the mapped spelling is the same address
    ['127.0.0.1', '127.1', 80, true],
    ['2001:db8::/32', '2001:db8:ffff::1', 1, true],
    ['2001:db8::/32', '2001:db9::1', 1, false],
    ['[2001:db8::1]:443', '2001:DB8::1', 443, true],
    ['[2001:db8::1]:443', '2001:db8::1', 80, false],
    ['0.0.0.0/0', '2001:db8::1', 1, false], // families never cross
    ['::/0', '10.0.0.1', 1, false],
    ['::/0', '2001:db8::1', 1, true],
    ['10.0.0.0/8', 'not-an-ip', 1, false],
    ['pypi.org', '10.0.0.1', 1, false], // name entries never match addresses
  ])('%s vs %s:%d -> %s', (entry, address, port, want) => {
    expect(entryMatchesAddress(one(entry), address, port)).toBe(want);
  });
});
