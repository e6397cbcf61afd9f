import { covers, parseEntry } from '../../sandbox/policy';
import type { Entry } from '../../sandbox/policy';

const e = (text: string): Entry => parseEntry(text, 'networkAllowlist')[0];

describe('covers(ceiling, entry)', () => {
  test.each<[string, string, boolean]>([
    // names
    ['x.com', 'x.com', true],
    ['x.com', 'x.com:443', true],
    ['x.com:443', 'x.com:443', true],
    ['x.com:443', 'x.com', false],
    ['x.com:443', 'x.com:80', false],
    ['x.com', 'a.x.com', false],
    ['x.com', '*.x.com', false],
    ['x.com', 'evilx.com', false],
    ['x.com', 'x.com.evil.com', false],
    // wildcards
    ['*.x.com', 'a.x.com', true],
    ['*.x.com', 'a.b.x.com', true],
    ['*.x.com', '*.a.x.com', true],
    ['*.x.com', '*.x.com', true],
    ['*.x.com', '*.x.com:443', true],
    ['*.x.com:443', '*.x.com', false],
    ['*.x.com:443', 'a.x.com:443', true],
    ['*.x.com:443', 'a.x.com:80', false],
    ['*.x.com', 'x.com', false],
    ['*.x.com', 'evilx.com', false],
    ['*.x.com', 'a.evilx.com', false],
    ['*.x.com', '*.evilx.com', false],
    ['*.x.com', 'x.com.evil.com', false],
    ['*.a.x.com', '*.x.com', false],
    ['*.a.x.com', 'b.x.com', false],
    // addresses and CIDRs
    ['10.0.0.0/8', '10.0.0.0/8', true],
    ['10.0.0.0/8', '10.1.0.0/16', true],
    ['10.0.0.0/8', '10.255.255.255', true],
    ['10.0.0.0/8', '10.1.2.3:5432', true],
    ['10.0.0.0/8:5432', '10.1.2.3:5432', true],
    ['10.0.0.0/8:5432', '10.1.2.3', false],
    ['10.0.0.0/8:5432', '10.1.2.3:5433', false],
    ['10.0.0.0/8', '10.0.0.0/7', false],
    ['10.0.0.0/8', '11.0.0.0/8', false],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['10.0.0.0/8', '0.0.0.0/0', false],
    ['0.0.0.0/0', '10.0.0.0/8', true],
    ['127.0.0.1', '127.0.0.1/32', true],
    ['127.0.0.1/32', '127.0.0.1', true],
    ['127.0.0.1', '127.0.0.2', false],
    ['2001:db8::/32', '2001:db8:1::/48', true],
    ['2001:db8::/32', '[2001:db8::1]:443', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['2001:db8::/48', '2001:db8::/32', false],
    ['[2001:db8::/32]:443', '[2001:db8::1]:443', true],
    ['[2001:db8::/32]:443', '2001:db8::1', false],
    ['::/0', '10.0.0.0/8', false], // families never cross
    ['0.0.0.0/0', '::/0', false],
    ['::/0', '::7f00:1', true],
    // kinds never cross
    ['pypi.org', '10.0.0.1', false],
    ['10.0.0.0/8', 'pypi.org', false],
    ['0.0.0.0/0', 'localhost', false],
  ])('%s covers %s: %s', (ceiling, entry, want) => {
    expect(covers(e(ceiling), e(entry))).toBe(want);
  });
});
