// A run's way out, started before its command (docs/mechanism.md): our proxy pair, a bridge to
// the user's own proxy, the user's proxy named directly, or nothing. What listens inside the
// run's namespace gets its socket later, from sandbox-init (adopt).
import { randomBytes } from 'node:crypto';
import type * as net from 'node:net';
import type { CompiledPolicy, StaticAnswers } from '../policy';
import { createProxyPair, makeProxyContext, RecordLog, startProxyPair, type ProxyLimits } from '../proxy';
import { createBridge } from './bridge';
import { createCapture } from './capture';
import type { Listener } from './listener';
import { kernelRelay } from '../relay/kernel-relay';
import type { ProxyUrls } from './env';
import { HTTP_PORT_INSIDE, SOCKS_PORT_INSIDE, type RunPlan } from './plan';

export type Egress = {
  /** The proxy variables' values, or null (no proxy variables at all). */
  urls: ProxyUrls | null;
  /** Ports to listen on inside the namespace (sandbox-init makes the sockets). */
  insidePorts: number[];
  /** Whether sandbox-init sets up transparent capture and the stub DNS (their sockets follow). */
  capture: boolean;
  /** Whether the IPv6 capture socket came (it does not where IPv6 is off in the kernel). */
  capturedIpv6(): boolean;
  /** A listening socket made inside the namespace, for the listener of that name ('3128', 'capture4'...). */
  adopt(name: string, handle: object): void;
  close(): Promise<void>;
};

const tcp = (l: { server: net.Server; close(): unknown }): Listener => ({ adopt: (h) => l.server.listen(h), close: () => l.close() });

export async function startEgress(
  plan: RunPlan,
  policy: CompiledPolicy,
  log: RecordLog,
  options: { answers: StaticAnswers; proxyLimits?: Partial<ProxyLimits> },
): Promise<Egress> {
  const listeners = new Map<string, Listener>();
  const ports: number[] = [];
  const listenOn = (port: number, l: Listener): void => {
    ports.push(port);
    listeners.set(String(port), l);
  };
  const closeListeners = async (): Promise<void> => {
    await Promise.all([...listeners.values()].map((l) => l.close()));
  };
  const adopted = new Set<string>();
  const inside = (urls: ProxyUrls | null, close: () => Promise<void> = closeListeners, capture = false): Egress => ({
    urls,
    insidePorts: plan.listenInside ? ports : [],
    capture,
    capturedIpv6: () => adopted.has('capture6'),
    adopt: (name, handle) => {
      adopted.add(name);
      const l = listeners.get(name);
      if (l) l.adopt(handle);
      else (handle as { close?: () => void }).close?.();
    },
    close,
  });
  const e = plan.egress;
  if (e.kind === 'none') return inside(null);
  // The user's URLs exactly as given (URL.href would add a trailing slash).
  if (e.kind === 'direct') return inside({ http: policy.proxyUrl!, socks: policy.socksUrl });
  if (e.kind === 'bridge') {
    listenOn(HTTP_PORT_INSIDE, tcp(createBridge(e.http.hostname, Number(e.http.port) || 80)));
    if (e.socks) listenOn(SOCKS_PORT_INSIDE, tcp(createBridge(e.socks.hostname, Number(e.socks.port) || 1080)));
    const http = insideUrl(e.http, 'http', HTTP_PORT_INSIDE);
    const socks = e.socks ? insideUrl(e.socks, 'socks5h', SOCKS_PORT_INSIDE) : null;
    return inside({ http, socks });
  }

  // Our proxy pair. On host loopback (no namespace to hide in) it demands a per-run credential.
  const credential = plan.listenInside ? null : { username: 'sandbox', password: randomBytes(16).toString('hex') };
  const ctx = makeProxyContext({ policy, answers: options.answers, log, credential, limits: options.proxyLimits, relay: kernelRelay() });
  if (plan.listenInside) {
    const pair = createProxyPair(ctx);
    listenOn(HTTP_PORT_INSIDE, tcp(pair.http));
    listenOn(SOCKS_PORT_INSIDE, tcp(pair.socks));
    const urls = { http: `http://127.0.0.1:${HTTP_PORT_INSIDE}`, socks: `socks5h://127.0.0.1:${SOCKS_PORT_INSIDE}` };
    if (!plan.capture) return inside(urls, pair.close);
    // Transparent capture: the same context (policy, records, budget), two more ways in.
    const capture = createCapture(pair.ctx);
    for (const [name, l] of Object.entries(capture.listeners)) listeners.set(name, l);
    return inside(urls, async () => {
      await Promise.all([pair.close(), capture.close()]);
    }, true);
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
