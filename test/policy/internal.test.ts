import { INTERNAL_RANGES, internalRange } from '../../sandbox/policy';

describe('internalRange: edges inside and just outside every range', () => {
  test.each<[string, string | null]>([
    // unspecified 0.0.0.0/8
    ['0.0.0.0', 'unspecified'],
    ['0.255.255.255', 'unspecified'],
    ['1.0.0.0', null],
    // 10.0.0.0/8
    ['9.255.255.255', null],
    ['10.0.0.0', 'private'],
    ['10.255.255.255', 'private'],
    ['11.0.0.0', null],
    // 100.64.0.0/10
    ['100.63.255.255', null],
    ['100.64.0.0', 'carrier-grade-nat'],
    ['100.100.100.200', 'carrier-grade-nat'],
    ['100.127.255.255', 'carrier-grade-nat'],
    ['100.128.0.0', null],
    // 127.0.0.0/8
    ['126.255.255.255', null],
    ['127.0.0.0', 'loopback'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.255', 'loopback'],
    ['128.0.0.0', null],
    // 169.254.0.0/16
    ['169.253.255.255', null],
    ['169.254.0.0', 'link-local'],
    ['169.254.169.254', 'link-local'],
    ['169.254.255.255', 'link-local'],
    ['169.255.0.0', null],
    // 172.16.0.0/12
    ['172.15.255.255', null],
    ['172.16.0.0', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.0', null],
    // 192.168.0.0/16
    ['192.167.255.255', null],
    ['192.168.0.0', 'private'],
    ['192.168.255.255', 'private'],
    ['192.169.0.0', null],
    // multicast 224.0.0.0/4
    ['223.255.255.255', null],
    ['224.0.0.0', 'multicast'],
    ['239.255.255.255', 'multicast'],
    // reserved 240.0.0.0/4 and broadcast
    ['240.0.0.0', 'reserved'],
    ['255.255.255.254', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    // public, documentation and benchmarking are not internal
    ['8.8.8.8', null],
    ['1.1.1.1', null],
    ['168.63.129.16', null],
    ['192.0.2.1', null],
    ['198.51.100.1', null],
    ['203.0.113.1', null],
    ['198.18.0.1', null],
    ['198.19.255.255', null],
    // IPv6
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['::2', 'ipv4-compatible'],
    ['::7f00:1', 'ipv4-compatible'],
    ['::808:808', 'ipv4-compatible'],
    ['::ffff:ffff', 'ipv4-compatible'],
    ['::1:0:0', null], // just outside ::/96
    ['::ffff:0:808:808', 'ipv4-translated'],
    ['64:ff9b::', 'nat64'],
    ['64:ff9b::808:808', 'nat64'],
    ['64:ff9b::ffff:ffff', 'nat64'],
    ['64:ff9b::1:0:0', null], // just outside 64:ff9b::/96
    ['64:ff9a:ffff:ffff:ffff:ffff:ffff:ffff', null],
    ['64:ff9b:1::', 'nat64'],
    ['64:ff9b:1:ffff:ffff:ffff:ffff:ffff', 'nat64'],
    ['64:ff9b:2::', null], // just outside 64:ff9b:1::/48
    ['2002::', '6to4'],
    ['2002:c000:201::1', '6to4'],
    ['2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '6to4'],
    ['2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff', null],
    ['2003::', null],
    ['2001::', 'teredo'],
    ['2001::1', 'teredo'],
    ['2001:0:ffff:ffff:ffff:ffff:ffff:ffff', 'teredo'],
    ['2001:1::', null], // just outside 2001::/32
    ['2001:db8::1', null],
    ['2001:4860::8888', null],
    ['2001:4860:4860::8888', null],
    ['fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', null],
    ['fc00::', 'unique-local'],
    ['fd00:ec2::254', 'unique-local'],
    ['fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'unique-local'],
    ['fe00::', null],
    ['fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff', null],
    ['fe80::', 'link-local'],
    ['fe80::1', 'link-local'],
    ['febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'link-local'],
    ['fec0::', 'site-local'],
    ['feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'site-local'],
    ['ff00::', 'multicast'],
    ['ff02::1', 'multicast'],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'multicast'],
  ])('%s -> %s', (address, want) => {
    expect(internalRange(address)).toBe(want);
  });

  test('IPv4-mapped IPv6 is judged as the IPv4 inside', () => {
    expect(internalRange('::ffff:127.0.0.1')).toBe('loopback');
    expect(internalRange('::ffff:10.0.0.1')).toBe('private');
    expect(internalRange('::ffff:8.8.8.8')).toBeNull();
  });

  test('a non-address is never public', () => {
    expect(internalRange('pypi.org')).not.toBeNull();
    expect(internalRange('garbage%%')).not.toBeNull();
  });

  test('the table lists every range of the internal-address backstop (docs/policy.md)', () => {
    const cidrs = INTERNAL_RANGES.map(([, cidr]) => cidr);
    for (const want of [
      '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.168.0.0/16',
      '224.0.0.0/4', '255.255.255.255/32', '::/128', '::1/128', '::/96', '64:ff9b::/96', '64:ff9b:1::/48', '2002::/16',
      '2001::/32', 'fc00::/7', 'fe80::/10', 'fec0::/10', 'ff00::/8',
    ]) {
      expect(cidrs).toContain(want);
    }
  });
});
