// One run's pair of proxies (HTTP and SOCKS5), made together from one context: they share its
// policy, its records and its budget. The one way a run's proxies are made, whether they listen
// on sockets made inside the run's namespace or on the worker's loopback.

import type * as net from 'node:net';
import type { ProxyContext } from './context';
import { createHttpProxy } from './http-proxy';
import type { ProxyServer } from './server';
import { createSocksProxy } from './socks5-proxy';

export type ProxyPairServers = {
  http: ProxyServer;
  socks: ProxyServer;
  /** The context both proxies use (its `self` list is the pair's own). */
  ctx: ProxyContext;
  close(): Promise<void>;
};

/** Both proxies, not listening yet: each listens on a handle from the namespace when it arrives. */
export function createProxyPair(ctx: ProxyContext): ProxyPairServers {
  // Own copy of `self`: loopback listeners join it, the caller's array stays as given. The
  // budget and the log are the same objects, so both proxies count against one run.
  const shared: ProxyContext = { ...ctx, self: [...ctx.self] };
  const http = createHttpProxy(shared);
  const socks = createSocksProxy(shared);
  return {
    http,
    socks,
    ctx: shared,
    close: async () => {
      await Promise.all([http.close(), socks.close()]);
    },
  };
}

/** A raw listening TCP handle passed over IPC from inside the namespace, or a loopback port. */
export type ListenOn = { handle: object } | { host: '127.0.0.1'; port: 0 };
export type ProxyPair = { httpPort: number; socksPort: number; close(): Promise<void> };

/** Both proxies, listening. Either both listen or neither is left behind. */
export async function startProxyPair(ctx: ProxyContext, on: { http: ListenOn; socks: ListenOn }): Promise<ProxyPair> {
  const pair = createProxyPair(ctx);
  let ports: [number, number];
  try {
    ports = await Promise.all([listen(pair.http, on.http), listen(pair.socks, on.socks)]);
  } catch (err) {
    await pair.close();
    throw err;
  }
  // A listener on the worker's own loopback is something the proxies could dial: a request
  // for it would loop back into the proxy. (A handle lives in the run's namespace; the caller
  // names those in ctx.self as the client sees them.)
  if ('host' in on.http) pair.ctx.self.push(`127.0.0.1:${ports[0]}`);
  if ('host' in on.socks) pair.ctx.self.push(`127.0.0.1:${ports[1]}`);
  return { httpPort: ports[0], socksPort: ports[1], close: pair.close };
}

function listen(p: ProxyServer, on: ListenOn): Promise<number> {
  return new Promise((resolve, reject) => {
    const server: net.Server = p.server;
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    const done = (): void => {
      server.removeListener('error', onError);
      const addr = server.address();
      if (addr && typeof addr === 'object') resolve(addr.port);
      else reject(new Error('proxy listener has no TCP port'));
    };
    if ('handle' in on) server.listen(on.handle, done);
    else server.listen(on.port, on.host, done);
  });
}
