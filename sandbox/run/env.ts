// The environment a sandboxed command sees.

/** Passed through from the worker when the caller does not ask to inherit everything. */
const MINIMAL_KEYS = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TERM', 'TZ', 'USER', 'LOGNAME', 'TMPDIR'];

const PROXY_KEYS = [
  'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy',
  'NO_PROXY', 'no_proxy', 'NODE_USE_ENV_PROXY',
];

export type ProxyUrls = { http: string; socks: string | null };

export function commandEnv(options: {
  inherit: boolean;
  extra?: Readonly<Record<string, string>>;
  proxies: ProxyUrls | null;
}): Record<string, string> {
  const env: Record<string, string> = {};
  const source = process.env;
  for (const key of options.inherit ? Object.keys(source) : MINIMAL_KEYS) {
    const value = source[key];
    if (value !== undefined) env[key] = value;
  }
  if (!env.PATH) env.PATH = '/usr/local/bin:/usr/bin:/bin';
  Object.assign(env, options.extra);
  // Ours win over inherited or caller-given proxy variables: a stale one would point nowhere.
  for (const key of PROXY_KEYS) delete env[key];
  if (options.proxies) {
    const { http, socks } = options.proxies;
    env.HTTP_PROXY = env.http_proxy = http;
    env.HTTPS_PROXY = env.https_proxy = http;
    if (socks) env.ALL_PROXY = env.all_proxy = socks;
    env.NO_PROXY = env.no_proxy = 'localhost,127.0.0.1,::1';
    env.NODE_USE_ENV_PROXY = '1';
  }
  return env;
}
