import { isHostProblem, parsePort, splitHostPort } from '../../sandbox/policy';

describe('splitHostPort', () => {
  test.each<[string, number | undefined, string, number]>([
    ['pypi.org:443', undefined, 'pypi.org', 443],
    ['pypi.org', 80, 'pypi.org', 80],
    ['pypi.org:8080', 80, 'pypi.org', 8080],
    ['[::1]:8080', undefined, '::1', 8080],
    ['[::1]', 443, '::1', 443],
    ['[2001:db8::1]:1', undefined, '2001:db8::1', 1],
    ['127.0.0.1:65535', undefined, '127.0.0.1', 65535],
    ['Example.COM:80', undefined, 'Example.COM', 80], // still raw: not canonicalized here
    ['127.1:80', undefined, '127.1', 80],
    ['[fe80::1%eth0]:80', undefined, 'fe80::1%eth0', 80], // canonicalizeHost refuses it later
  ])('%s (default %s)', (authority, def, host, port) => {
    expect(splitHostPort(authority, def)).toEqual({ host, port });
  });

  test.each<[string, number | undefined, RegExp]>([
    ['', undefined, /empty/],
    ['pypi.org', undefined, /no port/],
    ['[::1]', undefined, /no port/],
    ['::1:443', undefined, /without brackets/],
    ['2001:db8::1', 443, /without brackets/],
    ['h:0', undefined, /port '0'/],
    ['h:65536', undefined, /port '65536'/],
    ['h:+80', undefined, /port '\+80'/],
    ['h:-1', undefined, /port '-1'/],
    ['h:080', undefined, /port '080'/],
    ['h:', undefined, /port ''/],
    ['h:8a', undefined, /port '8a'/],
    ['h: 80', undefined, /port ' 80'/],
    ['h:٣', undefined, /port/], // an Arabic-Indic digit is not a decimal digit here
    ['h:1e3', undefined, /port/],
    [':80', undefined, /no host/],
    ['[]:80', undefined, /no host/],
    ['[::1]x', undefined, /after the bracketed/],
    ['[::1]:', undefined, /port ''/],
    ['[::1', undefined, /does not close/],
  ])('%j is refused', (authority, def, why) => {
    const r = splitHostPort(authority, def);
    expect(isHostProblem(r)).toBe(true);
    expect((r as { problem: string }).problem).toMatch(why);
  });
});

describe('parsePort', () => {
  test.each<[string, number | null]>([
    ['1', 1],
    ['443', 443],
    ['65535', 65535],
    ['0', null],
    ['65536', null],
    ['99999', null],
    ['0443', null],
    ['+443', null],
    ['443 ', null],
    ['4.43', null],
    ['0x1bb', null],
    ['', null],
  ])('%j -> %s', (text, want) => {
    expect(parsePort(text)).toBe(want);
  });
});
