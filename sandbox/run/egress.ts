// A run's way out, started before its command (docs/mechanism.md): our proxy pair, a bridge to
// the user's own proxy, the user's proxy named directly, or nothing. What listens inside the
// run's namespace gets its socket later, from sandbox-init (adopt).
import { randomBytes } from 'node:crypto';
import type * as net from 'node:net';
import type { CompiledPolicy, StaticAnswers } from '../policy';
import { createProxyPair, makeProxyContext, RecordLog, startProxyPair, type ProxyLimits } from '../proxy';
import { createBridge } from './bridge';
import type { ProxyUrls } from './env';
import { HTTP_PORT_INSIDE, SOCKS_PORT_INSIDE, type RunPlan } from './plan';

export type Egress = {
  /** The proxy variables' values, or null (no proxy variables at all). */
  urls: ProxyUrls | null;
  /** Ports to listen on inside the namespace (sandbox-init makes the sockets). */
  insidePorts: number[];
  /** A listening socket made inside the namespace, for the listener of that port. */
  adopt(port: number, handle: object): void;
  close(): Promise<void>;
};

type Listener = { server: net.Server; close(): unknown };

export async function startEgress(
  plan: RunPlan,
  policy: CompiledPolicy,
  log: RecordLog,
  options: { answers: StaticAnswers; proxyLimits?: Partial<ProxyLimits> },
): Promise<Egress> {
  const listeners = new Map<number, Listener>();
  const closeListeners = async (): Promise<void> => {
    await Promise.all([...listeners.values()].map((l) => l.close()));
  };
  const inside = (urls: ProxyUrls | null, close: () => Promise<void> = closeListeners): Egress => ({
    urls,
    insidePorts: plan.listenInside ? [...listeners.keys()] : [],
    adopt: (port, handle) => {
      const l = listeners.get(port);
      if (l) l.server.listen(handle);
      else (handle as { close?: () => void }).close?.();
    },
    close,
  });
  const e = plan.egress;
  if (e.kind === 'none') return inside(null);
  // The user's URLs exactly as given (URL.href would add a trailing slash).
  if (e.kind === 'direct') return inside({ http: policy.proxyUrl!, socks: policy.socksUrl });
  if (e.kind === 'bridge') {
    listeners.set(HTTP_PORT_INSIDE, createBridge(e.http.hostname, Number(e.http.port) || 80));
    if (e.socks) listeners.set(SOCKS_PORT_INSIDE, createBridge(e.socks.hostname, Number(e.socks.port) || 1080));
    const http = insideUrl(e.http, 'http', HTTP_PORT_INSIDE);
    const socks = e.socks ? insideUrl(e.socks, 'socks5h', SOCKS_PORT_INSIDE) : null;
    return inside({ http, socks });
  }

  // Our proxy pair. On host loopback (no namespace to hide in) it demands a per-run credential.
  const credential = plan.listenInside ? null : { username: 'sandbox', password: randomBytes(16).toString('hex') };
  const ctx = makeProxyContext({ policy, answers: options.answers, log, credential, limits: options.proxyLimits });
  if (plan.listenInside) {
    const pair = createProxyPair(ctx);
    listeners.set(HTTP_PORT_INSIDE, pair.http);
    listeners.set(SOCKS_PORT_INSIDE, pair.socks);
    return inside({ http: `http://127.0.0.1:${HTTP_PORT_INSIDE}`, socks: `socks5h://127.0.0.1:${SOCKS_PORT_INSIDE}` }, pair.close);
  }
  const pair = await startProxyPair(ctx, { http: { host: '127.0.0.1', port: 0 }, socks: { host: '127.0.0.1', port: 0 } });
  const auth = `${credential!.username}:${credential!.password}@`;
  return inside({ http: `http://${auth}127.0.0.1:${pair.httpPort}`, socks: `socks5h://${auth}127.0.0.1:${pair.socksPort}` }, pair.close);
}

/** The user's proxy URL with its credentials kept, pointed at the bridge inside the namespace. */
function insideUrl(url: URL, scheme: string, port: number): string {
  const auth = url.username ? `${url.username}${url.password ? `:${url.password}` : ''}@` : '';
  return `${scheme}://${auth}127.0.0.1:${port}`;
}
