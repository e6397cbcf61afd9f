// The environment a sandboxed command sees.

/** Passed through from the worker when the caller does not ask to inherit everything. */
const MINIMAL_KEYS = ['LANG', 'LC_ALL', 'LC_CTYPE', 'TERM', 'TZ'];

/** The view's own PATH: the worker's may name directories the view does not have. */
const VIEW_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const PROXY_KEYS = [
  'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy',
  'NO_PROXY', 'no_proxy', 'NODE_USE_ENV_PROXY',
];

export type ProxyUrls = { http: string; socks: string | null };

export function commandEnv(options: {
  inherit: boolean;
  extra?: Readonly<Record<string, string>>;
  proxies: ProxyUrls | null;
  /** The work dir as the command sees it: HOME when the environment is not inherited. */
  workdir: string;
}): Record<string, string> {
  const env: Record<string, string> = {};
  const source = process.env;
  for (const key of options.inherit ? Object.keys(source) : MINIMAL_KEYS) {
    const value = source[key];
    if (value !== undefined) env[key] = value;
  }
  if (!options.inherit) {
    env.PATH = VIEW_PATH;
    env.HOME = options.workdir;
    env.TMPDIR = '/tmp';
  }
  if (!env.PATH) env.PATH = VIEW_PATH;
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
