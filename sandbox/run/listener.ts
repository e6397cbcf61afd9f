// What adopts a listening socket made inside the run's namespace and handed out by sandbox-init:
// a proxy's TCP server, the transparent proxy, or the stub DNS's sockets (docs/mechanism.md).
export type Listener = { adopt(handle: object): void; close(): unknown };
