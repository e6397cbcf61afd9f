// Report mode (docs/policy.md, "Report mode"): every public destination passes the allowlist
// step, the denylist and the internal-address backstop still apply, and it cannot broaden a
// worker allowlist.
import { compilePolicy, decide, decideName } from '../../sandbox/policy';

const report = compilePolicy({ networkMode: 'allowlist', report: true, networkAllowlist: ['127.0.0.1'], networkDenylist: ['evil.example', '203.0.113.66'] });

describe('report mode', () => {
  test('a public destination passes, with no rule; the name stage too', () => {
    expect(report.report).toBe(true);
    expect(report.effective.report).toBe(true);
    expect(decide(report, { host: 'pypi.org', kind: 'name', port: 443 })).toEqual({ allowed: true });
    expect(decide(report, { host: 'pypi.org', kind: 'name', port: 443, addresses: ['151.101.0.223'] })).toEqual({ allowed: true, address: '151.101.0.223' });
    expect(decide(report, { host: '198.51.100.7', kind: 'ipv4', port: 22 })).toEqual({ allowed: true, address: '198.51.100.7' });
    expect(decideName(report, 'anything.example')).toEqual({ allowed: true });
  });

  test('the denylist and the backstop still refuse; an explicit IP entry still allows an internal address', () => {
    expect(decide(report, { host: 'evil.example', kind: 'name', port: 443 })).toMatchObject({ allowed: false, reason: 'denylisted' });
    expect(decide(report, { host: 'x.example', kind: 'name', port: 443, addresses: ['203.0.113.66'] })).toMatchObject({ allowed: false, reason: 'denylisted' });
    expect(decide(report, { host: 'x.example', kind: 'name', port: 443, addresses: ['10.0.0.5'] })).toMatchObject({ allowed: false, reason: 'internal-address' });
    expect(decide(report, { host: '169.254.169.254', kind: 'ipv4', port: 80 })).toMatchObject({ allowed: false, reason: 'internal-address' });
    expect(decide(report, { host: 'local.example', kind: 'name', port: 80, addresses: ['127.0.0.1'] })).toEqual({ allowed: true, address: '127.0.0.1' });
    expect(decideName(report, 'evil.example')).toMatchObject({ allowed: false, reason: 'denylisted' });
  });

  test('a call that names its own posture or allowlist narrows report mode away (its entries need no cover)', () => {
    const narrowed = compilePolicy({ networkMode: 'allowlist', report: true }, { networkMode: 'allowlist', networkAllowlist: ['pypi.org:443'] });
    expect(narrowed.report).toBe(false);
    expect(narrowed.effective.report).toBeUndefined();
    expect(decide(narrowed, { host: 'github.com', kind: 'name', port: 443 })).toMatchObject({ allowed: false, reason: 'not-allowlisted' });
    expect(compilePolicy({ networkMode: 'allowlist', report: true }, { networkMode: 'blocked' }).report).toBe(false);
  });

  test('refused where it cannot mean anything, or would broaden the worker', () => {
    expect(() => compilePolicy({ networkMode: 'blocked', report: true })).toThrow(/report applies only with networkMode 'allowlist'/);
    expect(() => compilePolicy({ networkMode: 'open', report: true })).toThrow(/report applies only with networkMode 'allowlist'/);
    expect(() => compilePolicy({ networkMode: 'allowlist', report: 'yes' as unknown as boolean })).toThrow(/report must be true or false/);
    expect(() => compilePolicy({ networkMode: 'allowlist', report: true }, undefined, { networkAllowlist: ['*.example.test'] })).toThrow(/not allowed under a worker allowlist/);
    expect(() => compilePolicy({ networkMode: 'allowlist', report: true }, undefined, { maxNetworkMode: 'blocked' })).toThrow(/exceeds the worker ceiling/);
  });
});

describe('decideName (the stub DNS asks it)', () => {
  const p = compilePolicy({ networkMode: 'allowlist', networkAllowlist: ['pypi.org:443', '*.example.test'], networkDenylist: ['bad.example.test:80', 'worse.example.test'] });
  test('a name allowed on any port passes; a deny entry for one port leaves it possible; one for every port refuses', () => {
    expect(decideName(p, 'pypi.org')).toEqual({ allowed: true, rule: 'pypi.org:443' });
    expect(decideName(p, 'a.example.test')).toEqual({ allowed: true, rule: '*.example.test' });
    expect(decideName(p, 'bad.example.test')).toMatchObject({ allowed: true });
    expect(decideName(p, 'worse.example.test')).toMatchObject({ allowed: false, reason: 'denylisted', rule: 'worse.example.test' });
    expect(decideName(p, 'github.com')).toMatchObject({ allowed: false, reason: 'not-allowlisted' });
    expect(decideName(p, 'a b.example.test')).toMatchObject({ allowed: false, reason: 'malformed' });
    expect(decideName(p, '10.0.0.1')).toMatchObject({ allowed: false, reason: 'malformed' });
    expect(decideName(compilePolicy({ networkMode: 'blocked' }), 'pypi.org')).toMatchObject({ allowed: false });
  });
});
