// One run's pair of proxies: start both, report their ports, close both. Either both listen
// or neither is left behind.

import type * as net from 'node:net';
import type { ProxyContext } from './context';
import { createHttpProxy } from './http-proxy';
import type { ProxyServer } from './server';
import { createSocksProxy } from './socks5-proxy';

/** A raw listening TCP handle passed over IPC from inside the namespace, or a loopback port. */
export type ListenOn = { handle: object } | { host: '127.0.0.1'; port: 0 };
export type ProxyPair = { httpPort: number; socksPort: number; close(): Promise<void> };

export async function startProxyPair(ctx: ProxyContext, on: { http: ListenOn; socks: ListenOn }): Promise<ProxyPair> {
  // Own copy of `self`: our loopback listeners join it below, the caller's array stays as given.
  const shared: ProxyContext = { ...ctx, self: [...ctx.self] };
  const httpProxy = createHttpProxy(shared);
  const socksProxy = createSocksProxy(shared);
  const closeBoth = async (): Promise<void> => {
    await Promise.all([httpProxy.close(), socksProxy.close()]);
  };
  let ports: [number, number];
  try {
    ports = await Promise.all([listen(httpProxy, on.http), listen(socksProxy, on.socks)]);
  } catch (err) {
    await closeBoth();
    throw err;
  }
  // A listener on the worker's own loopback is something the proxies could dial: a request
  // for it would loop back into the proxy. (A handle lives in the run's namespace; the caller
  // names those in ctx.self as the client sees them.)
  if ('host' in on.http) shared.self.push(`127.0.0.1:${ports[0]}`);
  if ('host' in on.socks) shared.self.push(`127.0.0.1:${ports[1]}`);
  return { httpPort: ports[0], socksPort: ports[1], close: closeBoth };
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
