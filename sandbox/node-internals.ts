// Every private member of Node's `net` and `http` that this project touches, in one module
// (docs/mechanism.md, "What we rely on in Node"). Each function says what it relies on, what
// breaks if Node changes it, and which test notices. `test/repo/node-internals.test.ts` runs each
// one against the Node it is given, and CI runs it on every Node major that `engines` names.
import type * as http from 'node:http';
import type * as net from 'node:net';

type StreamHandle = { reading?: boolean; readStop?: () => number };
type PrivateSocket = net.Socket & { _handle?: StreamHandle | null; _read: (n: number) => void };

/**
 * Stops Node reading an accepted socket, for good, so that another process may read it: the
 * kernel keeps what the client sends next. Returns what Node had already read and not yet
 * delivered, or null (the socket is left as it was) when it holds more than `maxHeld` bytes or
 * has no handle to stop.
 *
 * Relies on: `socket._handle.readStop()` and its `reading` flag (libuv's stream handle, as
 * net.js uses them in `tryReadStart`), and on `socket._read` being what a drained stream calls
 * to start reading again. `pause()` is not enough: libuv goes on reading into the stream's buffer.
 * If Node renames them, this returns null and the tunnel stays in Node (slower, still correct);
 * if their meaning changes, bytes could be read twice or lost.
 * Noticed by: node-internals.test.ts ("stopReading") and the relay's byte-exact tests.
 */
export function stopReading(socket: net.Socket, maxHeld: number): Buffer | null {
  const s = socket as PrivateSocket;
  const handle = s._handle;
  if (!handle || typeof handle.readStop !== 'function') return null;
  // Measured before anything changes: over the bound, the socket stays exactly as it was.
  if (s.readableLength > maxHeld) return null;
  handle.reading = false;
  handle.readStop();
  // A read() of a drained stream would start the handle again.
  s._read = () => undefined;
  const held: Buffer[] = [];
  while (s.readableLength > 0) held.push(s.read(s.readableLength) as Buffer);
  return Buffer.concat(held);
}

/**
 * Runs `send` with the socket detached from the server that accepted it. Node ties a socket sent
 * to a child process to its server, and `server.close()` then waits on the child's count of those
 * sockets (the NODE_SOCKET_* messages of its IPC protocol). We keep our own descriptor and count,
 * so the socket goes unattached.
 *
 * Relies on: `socket.server`, set by net.js for accepted sockets and read by child_process's
 * handle conversion for net.Socket. If Node stops reading it, the relay answers the bookkeeping
 * messages anyway (native/ipc.h); if Node moves it elsewhere, a proxy's close() could wait for the
 * child's count.
 * Noticed by: relay/lifecycle.test.ts (a run ends and its runner's close returns).
 */
export function sendDetached<T>(socket: net.Socket, send: () => T): T {
  const accepted = socket as unknown as { server: unknown };
  const server = accepted.server;
  accepted.server = null;
  try {
    return send();
  } finally {
    accepted.server = server;
  }
}

/**
 * The response an HTTP server is still writing on this socket (a request pipelined ahead of a
 * CONNECT), or null.
 *
 * Relies on: `socket._httpMessage`, which http's server sets to the ServerResponse that owns the
 * socket's writes until it finishes. If Node renames it, this returns undefined: a pipelined
 * CONNECT would no longer wait for the answers ahead of it, and a client error could be answered
 * over a response already in progress.
 * Noticed by: proxy/http-connect.test.ts (pipelining) and node-internals.test.ts.
 */
export function pendingResponse(socket: net.Socket): http.ServerResponse | null | undefined {
  return (socket as { _httpMessage?: http.ServerResponse | null })._httpMessage;
}
