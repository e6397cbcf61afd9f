import { SandboxPolicyError } from '../../sandbox/errors';
import { CLOUD_METADATA_DENY, PYPI_HOSTS, compilePolicy } from '../../sandbox/policy';
import type { NetworkCeiling, PerCallNetwork, WorkerCeiling } from '../../sandbox/policy';
import type { NetworkMode } from '../../sandbox/types';

function refusal(session: NetworkCeiling, call?: PerCallNetwork, worker?: WorkerCeiling): SandboxPolicyError {
  try {
    compilePolicy(session, call, worker);
  } catch (e) {
    expect(e).toBeInstanceOf(SandboxPolicyError);
    expect((e as Error).message).not.toContain('\n');
    return e as SandboxPolicyError;
  }
  throw new Error('expected a SandboxPolicyError');
}

const modes: NetworkMode[] = ['blocked', 'allowlist', 'open'];

describe('compilePolicy: defaults and the session alone', () => {
  test('nothing given is blocked, no lists, no proxies', () => {
    const p = compilePolicy({});
    expect(p.mode).toBe('blocked');
    expect(p.allow).toEqual([]);
    expect(p.deny).toEqual([]);
    expect(p.proxyUrl).toBeNull();
    expect(p.socksUrl).toBeNull();
    expect(p.effective).toMatchObject({ mode: 'blocked', allowlist: [], denylist: [], proxyUrl: null, socksUrl: null });
    expect(p.effective.notes.join(' ')).toMatch(/blocked/);
  });

  test('allowlist: presets expanded, canonical texts, duplicates dropped', () => {
    const p = compilePolicy({ networkMode: 'allowlist', networkAllowlist: ['@pypi', 'pypi.org', '10.0.0.0/8:5432'] });
    expect(p.mode).toBe('allowlist');
    expect(p.effective.allowlist).toEqual([...PYPI_HOSTS, '10.0.0.0/8:5432']);
    expect(p.allow.map((e) => e.text)).toEqual(p.effective.allowlist);
    expect(p.effective.notes.join(' ')).toMatch(/internal addresses/);
  });

  test('the allowlist is empty in the effective policy unless the mode is allowlist', () => {
    const open = compilePolicy({ networkMode: 'open', networkAllowlist: ['pypi.org'] });
    expect(open.allow).toEqual([]);
    expect(open.effective.allowlist).toEqual([]);
    const narrowed = compilePolicy({ networkMode: 'allowlist', networkAllowlist: ['pypi.org'] }, { networkMode: 'blocked' });
    expect(narrowed.allow).toEqual([]);
    expect(narrowed.effective.allowlist).toEqual([]);
  });

  test('an allowlist on a blocked session is refused, saying to write the posture (a forgotten networkMode)', () => {
    const e = refusal({ networkAllowlist: ['pypi.org'] });
    expect(e.message).toMatch(/networkAllowlist has no effect with networkMode 'blocked'.*write networkMode 'allowlist'/);
    expect(e.entry).toBe('networkAllowlist');
    expect(compilePolicy({ networkDenylist: ['@cloud-metadata'] }).effective.denylist).toEqual([...CLOUD_METADATA_DENY]);
  });

  test('the denylist applies in every mode and presets expand', () => {
    for (const networkMode of modes) {
      const p = compilePolicy({ networkMode, networkDenylist: ['@cloud-metadata'] });
      expect(p.effective.denylist).toEqual([...CLOUD_METADATA_DENY]);
    }
  });

  test('open with a denylist says it is not a wall; open without says no proxies', () => {
    expect(compilePolicy({ networkMode: 'open', networkDenylist: ['evil.test'] }).effective.notes).toContain(
      'open: host network; the denylist is applied by the proxies to clients that use the proxy variables, it is not a wall',
    );
    expect(compilePolicy({ networkMode: 'open' }).effective.notes.join(' ')).toMatch(/no proxies/);
  });

  test.each([
    [{ networkMode: 'closed' as NetworkMode }, /networkMode 'closed' is unknown: write 'blocked', 'allowlist' or 'open'/],
    [{ networkMode: 'OPEN' as NetworkMode }, /networkMode 'OPEN' is unknown/],
    [{ networkMode: '' as NetworkMode }, /networkMode '' is unknown/],
    [{ networkAllowlist: ['10/8'] }, /networkAllowlist entry '10\/8'/],
    [{ networkDenylist: ['127.1'] }, /networkDenylist entry '127\.1' is not canonical: write '127\.0\.0\.1'/],
    [{ networkDenylist: ['@nope'] }, /unknown preset/],
    [{ networkDenylist: 'evil.test' as unknown as string[] }, /networkDenylist must be an array/],
  ])('session refusal %#', (session, why) => {
    expect(refusal(session).message).toMatch(why);
  });
});

describe('compilePolicy: per-call posture', () => {
  const allowed: [NetworkMode, NetworkMode][] = [];
  const refused: [NetworkMode, NetworkMode][] = [];
  for (const s of modes) for (const c of modes) (modes.indexOf(c) <= modes.indexOf(s) ? allowed : refused).push([s, c]);

  test.each(allowed)('session %s, run %s: allowed', (s, c) => {
    expect(compilePolicy({ networkMode: s }, { networkMode: c }).mode).toBe(c);
  });

  test.each(refused)('session %s, run %s: refused, naming both', (s, c) => {
    const e = refusal({ networkMode: s }, { networkMode: c });
    expect(e.message).toContain(`run() networkMode '${c}' exceeds the session networkMode '${s}'`);
    expect(e.entry).toBe(c);
    expect(e.ceiling).toBe('session networkMode');
  });

  test('a per-call mode defaults to the session mode', () => {
    expect(compilePolicy({ networkMode: 'allowlist' }, {}).mode).toBe('allowlist');
    expect(compilePolicy({ networkMode: 'open' }, { networkAllowlist: undefined }).mode).toBe('open');
  });

  test('an unknown per-call mode is refused', () => {
    expect(refusal({ networkMode: 'open' }, { networkMode: 'wide' as NetworkMode }).message).toMatch(
      /run\(\) networkMode 'wide' is unknown: write 'blocked', 'allowlist' or 'open'/,
    );
  });
});

describe('compilePolicy: per-call allowlist narrowing', () => {
  const session: NetworkCeiling = {
    networkMode: 'allowlist',
    networkAllowlist: ['pypi.org', '*.x.com', 'api.y.com:443', '10.0.0.0/8', '[2001:db8::/32]:443'],
  };

  test('with no per-call allowlist, the session one applies', () => {
    expect(compilePolicy(session, {}).effective.allowlist).toEqual(session.networkAllowlist);
    expect(compilePolicy(session).effective.allowlist).toEqual(session.networkAllowlist);
  });

  test.each([
    [['pypi.org']],
    [['pypi.org:443']],
    [['a.x.com']],
    [['a.b.x.com:8443']],
    [['*.a.x.com']],
    [['*.x.com']],
    [['api.y.com:443']],
    [['10.1.0.0/16']],
    [['10.1.2.3:5432']],
    [['[2001:db8::1]:443']],
    [['[2001:db8:1::/48]:443']],
    [[]],
  ])('covered: %j', (list) => {
    const p = compilePolicy(session, { networkAllowlist: list });
    expect(p.effective.allowlist).toEqual(list);
  });

  test.each([
    ['x.com', 'x.com'],
    ['evilx.com', 'evilx.com'],
    ['x.com.evil.com', 'x.com.evil.com'],
    ['files.pypi.org', 'files.pypi.org'],
    ['api.y.com', 'api.y.com'],
    ['api.y.com:80', 'api.y.com:80'],
    ['10.0.0.0/7', '10.0.0.0/7'],
    ['11.0.0.1', '11.0.0.1'],
    ['2001:db8::1', '2001:db8::1'],
    ['[2001:db9::1]:443', '[2001:db9::1]:443'],
    ['@pypi', 'files.pythonhosted.org'],
  ])('not covered: %s', (raw, shown) => {
    const e = refusal(session, { networkAllowlist: [raw] });
    expect(e.message).toContain(`run() networkAllowlist entry '${shown}'`);
    expect(e.message).toContain("is not covered by the session allowlist ['pypi.org', '*.x.com', 'api.y.com:443'");
    expect(e.entry).toBe(raw);
    expect(e.ceiling).toBe('session allowlist');
    if (raw !== shown) expect(e.message).toContain(`(from '${raw}')`);
  });

  test('a session with no allowlist covers nothing', () => {
    const e = refusal({ networkMode: 'allowlist' }, { networkAllowlist: ['pypi.org'] });
    expect(e.message).toMatch(/not covered by the session allowlist \[\] \(empty\)/);
  });

  test('an open session covers everything', () => {
    const p = compilePolicy({ networkMode: 'open' }, { networkMode: 'allowlist', networkAllowlist: ['anything.test', '0.0.0.0/0'] });
    expect(p.mode).toBe('allowlist');
    expect(p.effective.allowlist).toEqual(['anything.test', '0.0.0.0/0']);
  });

  test('an open session narrowed to allowlist without a per-call list uses the session list', () => {
    const p = compilePolicy({ networkMode: 'open', networkAllowlist: ['pypi.org'] }, { networkMode: 'allowlist' });
    expect(p.effective.allowlist).toEqual(['pypi.org']);
  });

  test('per-call entries must be canonical too', () => {
    expect(refusal(session, { networkAllowlist: ['PyPI.org'] }).message).toMatch(
      /run\(\) networkAllowlist entry 'PyPI\.org' is not canonical: write 'pypi\.org'/,
    );
  });

  test.each<[NetworkMode, PerCallNetwork]>([
    ['open', { networkAllowlist: ['pypi.org'] }],
    ['open', { networkMode: 'open', networkAllowlist: ['pypi.org'] }],
    ['allowlist', { networkMode: 'blocked', networkAllowlist: ['pypi.org'] }],
    ['blocked', { networkAllowlist: [] }],
  ])('a per-call allowlist needs the run to be in allowlist mode (session %s)', (networkMode, call) => {
    const e = refusal({ networkMode, ...(networkMode === 'blocked' ? {} : { networkAllowlist: ['pypi.org'] }) }, call);
    expect(e.message).toMatch(/run\(\) networkAllowlist applies only with networkMode 'allowlist'/);
  });

  test.each([[['evil.test']], [[]], ['x' as unknown], [null as unknown]])('a per-call denylist is refused: %j', (networkDenylist) => {
    const e = refusal({ networkMode: 'open', networkDenylist: ['x.test'] }, { networkDenylist });
    expect(e.message).toMatch(/the denylist is set on the session only/);
    expect(e.entry).toBe('networkDenylist');
  });

  test('the session denylist is always inherited by the run', () => {
    const p = compilePolicy(
      { networkMode: 'open', networkDenylist: ['evil.test'] },
      { networkMode: 'allowlist', networkAllowlist: ['good.test'] },
    );
    expect(p.effective.denylist).toEqual(['evil.test']);
  });
});

describe('compilePolicy: worker ceiling', () => {
  test.each<[NetworkMode, NetworkMode, boolean]>([
    ['blocked', 'blocked', true],
    ['allowlist', 'blocked', false],
    ['open', 'blocked', false],
    ['allowlist', 'allowlist', true],
    ['open', 'allowlist', false],
    ['open', 'open', true],
  ])('session %s under maxNetworkMode %s: %s', (networkMode, maxNetworkMode, ok) => {
    if (ok) {
      expect(compilePolicy({ networkMode }, undefined, { maxNetworkMode }).mode).toBe(networkMode);
    } else {
      const e = refusal({ networkMode }, undefined, { maxNetworkMode });
      expect(e.message).toContain(`networkMode '${networkMode}' exceeds the worker ceiling maxNetworkMode '${maxNetworkMode}'`);
      expect(e.ceiling).toBe('worker ceiling');
    }
  });

  test('maxNetworkMode defaults to open', () => {
    expect(compilePolicy({ networkMode: 'open' }, undefined, {}).mode).toBe('open');
  });

  test('an unknown maxNetworkMode is refused', () => {
    expect(refusal({}, undefined, { maxNetworkMode: 'max' as NetworkMode }).message).toMatch(/worker maxNetworkMode 'max' is unknown/);
  });

  const worker: WorkerCeiling = { networkAllowlist: ['*.corp.test', '10.0.0.0/8'], networkDenylist: ['@cloud-metadata'] };

  test('session entries covered by the worker allowlist pass', () => {
    const p = compilePolicy({ networkMode: 'allowlist', networkAllowlist: ['a.corp.test:443', '10.1.0.0/16'] }, undefined, worker);
    expect(p.effective.allowlist).toEqual(['a.corp.test:443', '10.1.0.0/16']);
  });

  test('a session entry outside the worker allowlist is refused', () => {
    const e = refusal({ networkMode: 'allowlist', networkAllowlist: ['a.corp.test', 'pypi.org'] }, undefined, worker);
    expect(e.message).toContain("networkAllowlist entry 'pypi.org' is not covered by the worker allowlist ['*.corp.test', '10.0.0.0/8']");
    expect(e.entry).toBe('pypi.org');
    expect(e.ceiling).toBe('worker allowlist');
  });

  test('per-call entries under an open session are still bound by the worker allowlist', () => {
    const e = refusal({ networkMode: 'open' }, { networkMode: 'allowlist', networkAllowlist: ['pypi.org'] }, worker);
    expect(e.message).toContain("run() networkAllowlist entry 'pypi.org' is not covered by the worker allowlist");
    expect(compilePolicy({ networkMode: 'open' }, { networkMode: 'allowlist', networkAllowlist: ['b.corp.test'] }, worker).mode).toBe(
      'allowlist',
    );
  });

  test('the worker denylist is applied on top of the session one, deduplicated', () => {
    const p = compilePolicy({ networkMode: 'open', networkDenylist: ['evil.test', 'metadata.goog'] }, undefined, worker);
    expect(p.effective.denylist).toEqual([...CLOUD_METADATA_DENY, 'evil.test']);
    expect(p.deny).toHaveLength(CLOUD_METADATA_DENY.length + 1);
  });

  test('worker entries are checked like any others', () => {
    expect(refusal({}, undefined, { networkDenylist: ['10/8'] }).message).toMatch(/worker networkDenylist entry '10\/8'/);
  });
});

describe('compilePolicy: bring your own proxy', () => {
  const byo = { networkProxyUrl: 'http://proxy.test:3128', networkSocksUrl: 'socks5h://proxy.test:1080' };

  test.each<[NetworkMode]>([['allowlist'], ['open']])('accepted in %s mode, and said so', (networkMode) => {
    const p = compilePolicy({ networkMode, ...byo });
    expect(p.proxyUrl).toBe(byo.networkProxyUrl);
    expect(p.socksUrl).toBe(byo.networkSocksUrl);
    expect(p.effective.proxyUrl).toBe(byo.networkProxyUrl);
    expect(p.effective.socksUrl).toBe(byo.networkSocksUrl);
    expect(p.effective.notes).toContain('bring-your-own proxy: no allowlist or denylist of ours applies');
  });

  test('an HTTP proxy alone, with userinfo, is accepted', () => {
    const p = compilePolicy({ networkMode: 'open', networkProxyUrl: 'http://user:pw@proxy.test:3128/' });
    expect(p.proxyUrl).toBe('http://user:pw@proxy.test:3128/');
    expect(p.socksUrl).toBeNull();
  });

  test('a run narrowed to blocked gets no proxy', () => {
    const p = compilePolicy({ networkMode: 'open', ...byo }, { networkMode: 'blocked' });
    expect(p.proxyUrl).toBeNull();
    expect(p.effective.proxyUrl).toBeNull();
    expect(p.effective.socksUrl).toBeNull();
  });

  test('allowed by a worker that says so', () => {
    expect(compilePolicy({ networkMode: 'open', ...byo }, undefined, { allowProxyUrls: true }).proxyUrl).toBe(byo.networkProxyUrl);
  });

  test.each<[NetworkCeiling, PerCallNetwork | undefined, WorkerCeiling | undefined, RegExp]>([
    [{ networkMode: 'open', ...byo }, undefined, {}, /not allowed by the worker ceiling.*allowProxyUrls/],
    [{ networkMode: 'open', ...byo }, undefined, { allowProxyUrls: false }, /not allowed by the worker ceiling/],
    [{ networkMode: 'blocked', ...byo }, undefined, undefined, /networkProxyUrl has no effect with networkMode 'blocked'/],
    [{ networkMode: 'open', networkSocksUrl: byo.networkSocksUrl }, undefined, undefined, /networkSocksUrl needs networkProxyUrl/],
    [{ networkMode: 'open', networkProxyUrl: 'https://proxy.test:3128' }, undefined, undefined, /scheme 'https:'.*'http:\/\/proxy\.example:3128'/],
    [{ networkMode: 'open', networkProxyUrl: 'socks5h://proxy.test:1080' }, undefined, undefined, /networkProxyUrl.*scheme 'socks5h:'/],
    [{ networkMode: 'open', networkProxyUrl: 'http://proxy.test:3128/path' }, undefined, undefined, /has a path/],
    [{ networkMode: 'open', networkProxyUrl: 'http://proxy.test:3128/?q' }, undefined, undefined, /has a path, query/],
    [{ networkMode: 'open', networkProxyUrl: 'proxy.test:3128' }, undefined, undefined, /networkProxyUrl 'proxy\.test:3128'/],
    [{ networkMode: 'open', networkProxyUrl: 'not a url' }, undefined, undefined, /white space/],
    [{ networkMode: 'open', networkProxyUrl: 'http://proxy.test:3128', networkSocksUrl: 'socks5://proxy.test:1080' }, undefined, undefined, /networkSocksUrl.*scheme 'socks5:'.*socks5h/],
    [{ networkMode: 'open', networkProxyUrl: 'http://proxy.test:3128', networkSocksUrl: 'socks5h://proxy.test' }, undefined, undefined, /networkSocksUrl.*has no port/],
    [{ networkMode: 'open', ...byo }, { networkMode: 'allowlist', networkAllowlist: ['pypi.org'] }, undefined, /cannot narrow a session that uses its own proxy/],
  ])('refused %#', (session, call, worker, why) => {
    expect(refusal(session, call, worker).message).toMatch(why);
  });
});
