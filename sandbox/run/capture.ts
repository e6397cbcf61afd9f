// Transparent capture's worker side (docs/mechanism.md, "Transparent capture"): the stub DNS and
// the transparent proxy, on the sockets sandbox-init makes inside the namespace. They share the
// proxy pair's context: one policy, one record log, one budget for the run.
import { createDnsStub } from '../dns/stub';
import type { ProxyContext } from '../proxy';
import { createTransparentProxy } from '../proxy/transparent-proxy';
import type { Listener } from './listener';

export function createCapture(ctx: ProxyContext): { listeners: Record<string, Listener>; close(): Promise<void> } {
  const proxy = createTransparentProxy(ctx);
  const dns = createDnsStub(ctx);
  const none = (): void => undefined;
  return {
    // Names as sandbox-init hands the sockets over (native/capture.c). Each closes with close().
    listeners: {
      capture4: { adopt: (h) => proxy.v4.server.listen(h), close: none },
      capture6: { adopt: (h) => proxy.v6.server.listen(h), close: none },
      'dns-udp': { adopt: (h) => dns.adoptUdp(h), close: none },
      'dns-tcp': { adopt: (h) => dns.tcp.server.listen(h), close: none },
    },
    close: async () => {
      await Promise.all([proxy.close(), dns.close()]);
    },
  };
}
