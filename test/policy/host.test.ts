import { canonicalizeHost, formatHostPort, isHostProblem, printable } from '../../sandbox/policy';

const ok = (raw: string) => {
  const c = canonicalizeHost(raw);
  if (isHostProblem(c)) throw new Error(`expected ${JSON.stringify(raw)} to canonicalize, got: ${c.problem}`);
  return c;
};
const problem = (raw: string) => {
  const c = canonicalizeHost(raw);
  if (!isHostProblem(c)) throw new Error(`expected ${JSON.stringify(raw)} to be refused, got ${JSON.stringify(c)}`);
  return c.problem;
};

describe('canonicalizeHost: IPv4 spellings are IPv4 (every inet_aton form)', () => {
  test.each([
    ['127.0.0.1', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['127.0.1', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
    ['0X7F.1', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['0x7F.0.0.1', '127.0.0.1'],
    ['127.0.0.1.', '127.0.0.1'],
    ['012.0.0.1', '10.0.0.1'],
    ['0x0a.0.0.1', '10.0.0.1'],
    ['1.2.3', '1.2.0.3'],
    ['0', '0.0.0.0'],
    ['4294967295', '255.255.255.255'],
    ['169.254.169.254', '169.254.169.254'],
    ['0xa9fea9fe', '169.254.169.254'],
    ['１２７.０.０.１', '127.0.0.1'], // fullwidth digits fold to ASCII first
  ])('%s -> %s', (raw, want) => {
    expect(ok(raw)).toEqual({ kind: 'ipv4', host: want });
  });
});

describe('canonicalizeHost: IPv4-mapped IPv6 becomes IPv4', () => {
  test.each([
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['::ffff:7f00:1', '127.0.0.1'],
    ['::FFFF:7F00:1', '127.0.0.1'],
    ['[::ffff:127.0.0.1]', '127.0.0.1'],
    ['[::ffff:7f00:1]', '127.0.0.1'],
    ['0:0:0:0:0:ffff:7f00:1', '127.0.0.1'],
    ['::ffff:a9fe:a9fe', '169.254.169.254'],
    ['::ffff:0:0', '0.0.0.0'],
  ])('%s -> %s', (raw, want) => {
    expect(ok(raw)).toEqual({ kind: 'ipv4', host: want });
  });
});

describe('canonicalizeHost: IPv6 to RFC 5952 text, brackets removed', () => {
  test.each([
    ['::1', '::1'],
    ['[::1]', '::1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['::', '::'],
    ['[::]', '::'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed
    ['fd00:EC2::254', 'fd00:ec2::254'],
    ['fe80::1', 'fe80::1'],
    ['::127.0.0.1', '::7f00:1'], // IPv4-compatible, not mapped: stays IPv6
    ['64:ff9b::192.0.2.1', '64:ff9b::c000:201'],
    ['::ffff:0:7f00:1', '::ffff:0:7f00:1'], // IPv4-translated, not mapped
  ])('%s -> %s', (raw, want) => {
    expect(ok(raw)).toEqual({ kind: 'ipv6', host: want });
  });
});

describe('canonicalizeHost: malformed IP literals and zone ids are refused', () => {
  test.each([
    ['fe80::1%eth0', /zone id/],
    ['[fe80::1%eth0]', /zone id/],
    ['[fe80::1%25eth0]', /zone id/],
    ['::1%1', /zone id/],
    ['1::2::3', /not a valid IPv6/],
    ['12345::', /not a valid IPv6/],
    [':::', /not a valid IPv6/],
    ['::g', /not a valid IPv6/],
    ['::ffff:127.1', /not a valid IPv6/],
    ['[::1', /does not close/],
    ['[127.0.0.1]', /only for IPv6/],
    ['[pypi.org]', /only for IPv6/],
    ['4294967296', /not a valid IPv4/],
    ['256.0.0.1', /not a valid IPv4/],
    ['1.2.3.4.5', /not a valid IPv4/],
    ['0x100000000', /not a valid IPv4/],
    ['09.1.1.1', /not a valid IPv4/],
    ['a:b', /IPv6/],
  ])('%s', (raw, why) => {
    expect(problem(raw)).toMatch(why);
  });
});

describe('canonicalizeHost: names', () => {
  test.each([
    ['example.com', 'example.com'],
    ['Example.COM', 'example.com'],
    ['example.com.', 'example.com'],
    ['EXAMPLE.COM.', 'example.com'],
    ['bücher.example', 'xn--bcher-kva.example'],
    ['BÜCHER.example', 'xn--bcher-kva.example'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['ＥＸＡＭＰＬＥ.com', 'example.com'], // fullwidth letters fold
    ['ｅｘａｍｐｌｅ．ｃｏｍ', 'example.com'], // fullwidth full stop too
    ['a。b.com', 'a.b.com'], // ideographic full stop
    ['ß.de', 'xn--zca.de'], // UTS46 nontransitional
    ['a_b.example', 'a_b.example'],
    ['localhost', 'localhost'],
    ['metadata.google.internal', 'metadata.google.internal'],
    ['x-1.example', 'x-1.example'],
    ['1.2.3.4x', '1.2.3.4x'], // last label is not a number: a name
    [`${'a'.repeat(63)}.com`, `${'a'.repeat(63)}.com`],
  ])('%s -> %s', (raw, want) => {
    expect(ok(raw)).toEqual({ kind: 'name', host: want });
  });

  const n253 = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
  test('a name of 253 characters is accepted, also with its trailing dot', () => {
    expect(n253.length).toBe(253);
    expect(ok(n253)).toEqual({ kind: 'name', host: n253 });
    expect(ok(`${n253}.`)).toEqual({ kind: 'name', host: n253 });
  });
  test('a name of 254 characters is refused', () => {
    const n254 = `${n253}d`;
    expect(n254.length).toBe(254);
    expect(problem(n254)).toMatch(/254 characters.*253/);
  });
  test('a name over 253 only after IDNA is refused', () => {
    // 230 characters as written; each 55-'ü' label is 61 bytes once encoded: 4 * 61 + 4 + 6 = 254.
    const raw = `${'ü'.repeat(55)}.${'ü'.repeat(55)}.${'ü'.repeat(55)}.${'ü'.repeat(55)}.abcdef`;
    expect(raw.length).toBeLessThanOrEqual(253);
    expect(problem(raw)).toMatch(/more than 253/);
  });
  test('a 64-byte label is refused', () => {
    expect(problem(`${'a'.repeat(64)}.com`)).toMatch(/64 bytes.*63/);
  });
  test('a label over 63 bytes only after IDNA is refused', () => {
    expect(problem(`${'ü'.repeat(60)}.com`)).toMatch(/66 bytes.*more than 63/);
  });
});

describe('canonicalizeHost: refused characters and shapes', () => {
  test.each([
    ['', /empty/],
    ['a\u0000b.com', /NUL/],
    ['a\rb.com', /control character \(U\+000D\)/],
    ['a\nb.com', /control character \(U\+000A\)/],
    ['a\tb.com', /control character/],
    ['a\u007fb.com', /control character \(U\+007F\)/],
    ['a\u0085b.com', /control character \(U\+0085\)/],
    ['a b.com', /a space/],
    ['a\u00a0b.com', /white space/],
    ['a\u3000b.com', /white space/],
    ['example.com ', /a space/],
    ['a%41.com', /'%'/],
    ['a/b.com', /'\/'/],
    ['a\\b.com', /'\\'/],
    ['user@host.com', /'@'/],
    ['a#b.com', /'#'/],
    ['a?b.com', /'\?'/],
    ['a(b.com', /'\('/],
    ['a)b.com', /'\)'/],
    ['a{b.com', /'\{'/],
    ['a}b.com', /'\}'/],
    ['a|b.com', /'\|'/],
    ['a!b.com', /'!'/],
    ['a,b.com', /','/],
    ['*.a.com', /'\*'/],
    ['*', /'\*'/],
    ['a]b.com', /'\]'/],
    ['a[b.com', /'\['/],
    ['a..b', /empty label/],
    ['.a.com', /starts with a dot/],
    ['.', /only a dot/],
    ['example.com..', /more than one dot/],
    ['foo.123', /ends in a number/],
    ['foo.0x1f', /ends in a number/],
    ['foo.123.', /ends in a number/],
    ['xn--a.com', /not a valid host name/],
    ['a<b.com', /not a valid host name|characters other than/],
    ['a"b.com', /characters other than/],
    ['＊.a.com', /characters other than/], // fullwidth asterisk folds to '*' under UTS46
  ])('%j', (raw, why) => {
    expect(problem(raw)).toMatch(why);
  });

  test('never throws, whatever the input', () => {
    for (const raw of ['[', ']', '[]', '::', '%', '\uD800', 'a'.repeat(100000), 'xn--', '-', '0x', 'ü'.repeat(300)]) {
      expect(() => canonicalizeHost(raw)).not.toThrow();
    }
    expect(isHostProblem(canonicalizeHost(42 as unknown as string))).toBe(true);
  });
});

describe('formatHostPort', () => {
  test.each([
    ['::1', 443, '[::1]:443'],
    ['127.1', 80, '127.0.0.1:80'],
    ['Example.com', 8080, 'example.com:8080'],
  ])('%s, %d -> %s', (raw, port, want) => {
    expect(formatHostPort(ok(raw).host, port)).toBe(want);
  });
});

describe('printable', () => {
  test.each([
    ['plain.example', 'plain.example'],
    ['a\nb', 'a\\nb'],
    ['a\r\tb', 'a\\r\\tb'],
    ['a\u0000b', 'a\\u0000b'],
    ['a\u0085b\u2028', 'a\\u0085b\\u2028'],
    ['bücher', 'bücher'],
  ])('%j -> %j', (raw, want) => {
    expect(printable(raw)).toBe(want);
  });
});

describe('xn-- labels are checked the same on every Node (its URL parser stopped checking them in Node 24)', () => {
  test.each(['xn--a.com', 'xn--zz.com', 'xn--a-ecp.ru', 'api.xn--.com', 'xn--abc.com', 'xn--ls8h-.com'])('%s is refused', (raw) => {
    expect(isHostProblem(canonicalizeHost(raw))).toBe(true);
  });
  test.each([['xn--ls8h.com', 'xn--ls8h.com'], ['xn--bcher-kva.example', 'xn--bcher-kva.example'], ['bücher.example', 'xn--bcher-kva.example'], ['XN--BCHER-KVA.example', 'xn--bcher-kva.example']])(
    '%s is the name %s',
    (raw, host) => expect(canonicalizeHost(raw)).toEqual({ kind: 'name', host }),
  );
});
