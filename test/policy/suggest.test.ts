// The suggested allowlist (docs/policy.md, "Learning an allowlist"): exactly what was needed,
// with ports, siblings collapsed only where several were seen, every entry one the parser takes.
import { neededFromRecords, parseEntry, suggestAllowlist } from '../../sandbox/policy';
import type { AllowedRecord, DeniedRecord } from '../../sandbox/types';

const allowed = (host: string, port: number, address = '203.0.113.5', proxy: AllowedRecord['proxy'] = 'transparent'): AllowedRecord => ({
  at: '', proxy, host, port, address, bytesUp: 1, bytesDown: 1, durationMs: 1, ended: 'closed',
});
const denied = (host: string, port: number, reason: DeniedRecord['reason'], proxy: DeniedRecord['proxy'] = 'http'): DeniedRecord => ({
  at: '', proxy, host, port, reason, message: `${host} ${reason}`,
});

describe('suggestAllowlist', () => {
  test('three names, each with its port, in order', () => {
    const s = suggestAllowlist([
      { host: 'pypi.org', port: 443 }, { host: 'github.com', port: 443 }, { host: 'redis.example.net', port: 6379 }, { host: 'pypi.org', port: 443 },
    ]);
    expect(s.entries).toEqual(['github.com:443', 'pypi.org:443', 'redis.example.net:6379']);
  });

  test('siblings collapse to a leading *. only when there are several; never under a one-label parent', () => {
    const s = suggestAllowlist([
      { host: 'files.pythonhosted.org', port: 443 }, { host: 'cdn.pythonhosted.org', port: 443 },
      { host: 'a.com', port: 443 }, { host: 'b.com', port: 443 },
      { host: 'api.example.net', port: 443 },
    ]);
    expect(s.entries).toEqual(['*.pythonhosted.org:443', 'a.com:443', 'api.example.net:443', 'b.com:443']);
  });

  test('siblings on different ports stay apart: a wildcard would allow each on the others\' ports', () => {
    const s = suggestAllowlist([{ host: 'web.example.test', port: 80 }, { host: 'cache.example.test', port: 6379 }]);
    expect(s.entries).toEqual(['cache.example.test:6379', 'web.example.test:80']);
  });

  test('several ports give one entry each; a name only looked up gets no port; addresses keep theirs', () => {
    const s = suggestAllowlist([
      { host: 'a.example', port: 80 }, { host: 'a.example', port: 443 }, { host: 'b.example', port: null },
      { host: '2001:db8::5', port: 443 }, { host: '203.0.113.7', port: 5432 },
    ]);
    expect(s.entries).toEqual(['a.example:80', 'a.example:443', 'b.example', '[2001:db8::5]:443', '203.0.113.7:5432']);
    for (const e of s.entries) expect(() => parseEntry(e, 'test')).not.toThrow();
  });

  test('a name that resolved to an internal address is named: its entry alone would meet the backstop', () => {
    const s = suggestAllowlist([{ host: 'a.test', port: 80 }], new Map([['a.test', '127.0.0.1']]));
    expect(s.internal).toEqual([{ host: 'a.test', address: '127.0.0.1' }]);
  });
});

describe('neededFromRecords', () => {
  test('allowed connections and refusals only an entry would change; not the denylist, the backstop or limits', () => {
    const n = neededFromRecords(
      [allowed('pypi.org', 443)],
      [
        denied('github.com', 443, 'not-allowlisted'), denied('x.example', 53, 'not-allowlisted', 'dns'),
        denied('gone.example', 443, 'upstream-failed'), denied('evil.example', 443, 'denylisted'),
        denied('10.0.0.1', 80, 'internal-address'), denied('big.example', 443, 'over-limit'),
      ],
    );
    expect(n.needed).toEqual([
      { host: 'pypi.org', port: 443 }, { host: 'github.com', port: 443 }, { host: 'x.example', port: null }, { host: 'gone.example', port: 443 },
    ]);
    expect(n.notSuggested.map((d) => d.reason)).toEqual(['denylisted', 'internal-address', 'over-limit']);
    expect(n.addresses.get('pypi.org')).toBe('203.0.113.5');
  });
});

