// The third way in (docs/mechanism.md, "Transparent capture"): a TCP connection from inside the
// run to any address and port, captured by the namespace's TPROXY rule for a client that uses no
// proxy. Its original destination is the accepted socket's local address: a synthetic address
// stands for the name the stub DNS gave it out for, any other address for itself. From there it
// is a CONNECT without the handshake: the same decide(), resolve, dial, splice and records.
import * as net from 'node:net';
import { canonicalizeHost, isHostProblem } from '../policy';
import { startAttempt } from './attempt';
import type { ProxyContext } from './context';
import { ConnectionTracker, makeProxyServer, type ProxyServer } from './server';
import { openTunnel } from './tunnel';

export type TransparentProxy = {
  /** One server per family's capture socket ('capture4', 'capture6'), one tracker for both. */
  v4: ProxyServer;
  v6: ProxyServer;
  close(): Promise<void>;
};

export function createTransparentProxy(ctx: ProxyContext): TransparentProxy {
  const tracker = new ConnectionTracker(ctx.limits.maxConnections);
  const make = (): ProxyServer => {
    // Paused until decided: what the client sends first waits in the kernel, then goes upstream.
    const server = net.createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: true }, (client) => {
      if (tracker.admit(client) !== 'admitted') {
        client.resetAndDestroy();
        return;
      }
      void serve(ctx, tracker, client);
    });
    return makeProxyServer(server, tracker);
  };
  const v4 = make();
  const v6 = make();
  return {
    v4,
    v6,
    close: async () => {
      await Promise.all([v4.close(), v6.close()]);
    },
  };
}

async function serve(ctx: ProxyContext, tracker: ConnectionTracker, client: net.Socket): Promise<void> {
  const local = client.localAddress;
  const port = client.localPort;
  const c = local ? canonicalizeHost(local) : null;
  if (!c || isHostProblem(c) || c.kind === 'name' || !port) {
    client.resetAndDestroy();
    return;
  }
  const name = ctx.names.nameOf(c.host);
  const attempt = startAttempt('transparent', name ?? c.host, port);
  const opened = await openTunnel(ctx, tracker, attempt, name ? 'name' : c.kind, client);
  // Refused: a reset at once, so the client fails now instead of waiting on a silent socket.
  if (opened.kind !== 'tunnel' && !client.destroyed) client.resetAndDestroy();
}
