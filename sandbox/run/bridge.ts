// Bring your own proxy (docs/policy.md, "Bring your own proxy") in allowlist posture: the namespace stays, and a plain TCP
// bridge from inside it to the given proxy is the only way out. No policy of ours applies.
import * as net from 'node:net';

export type Bridge = { server: net.Server; close(): void };

export function createBridge(host: string, port: number): Bridge {
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  };
  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
    track(client);
    const upstream = net.connect({ host, port, allowHalfOpen: true, noDelay: true });
    track(upstream);
    const fail = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', fail);
    upstream.on('error', fail);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return {
    server,
    close() {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}
