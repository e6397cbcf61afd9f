// The private members of Node that sandbox/node-internals.ts relies on, each checked against the
// Node that runs this test (CI runs it on every major `engines` names). If one of these fails on
// a new Node, that module's comment says what breaks and what to do.
import * as http from 'node:http';
import * as net from 'node:net';
import { pendingResponse, sendDetached, stopReading } from '../../sandbox/node-internals';
import { waitFor } from '../proxy/helpers';

async function pair(): Promise<{ server: net.Server; client: net.Socket; socket: net.Socket; close(): void }> {
  const server = net.createServer({ allowHalfOpen: true });
  const got = new Promise<net.Socket>((r) => server.once('connection', r));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const client = net.connect({ port: (server.address() as net.AddressInfo).port, host: '127.0.0.1' });
  const socket = await got;
  return { server, client, socket, close: () => (client.destroy(), socket.destroy(), server.close()) };
}

test('stopReading: what Node held comes back, and nothing more is read by Node; the kernel keeps the rest', async () => {
  const p = await pair();
  p.client.write('held');
  await waitFor(() => (p.socket.readableLength === 4 ? true : undefined), 5_000, 'bytes in Node');
  const held = stopReading(p.socket, 4);
  expect(held?.toString()).toBe('held');
  let readByNode = 0;
  p.socket.on('data', (c: Buffer) => (readByNode += c.length));
  p.client.write('left in the kernel');
  await new Promise((r) => setTimeout(r, 100));
  expect(readByNode).toBe(0);
  expect(p.socket.readableLength).toBe(0);
  p.close();
});

test('stopReading over its bound leaves the socket exactly as it was', async () => {
  const p = await pair();
  p.client.write('12345');
  await waitFor(() => (p.socket.readableLength === 5 ? true : undefined), 5_000, 'bytes in Node');
  expect(stopReading(p.socket, 4)).toBeNull();
  const read = new Promise<string>((r) => {
    let s = '';
    p.socket.on('data', (c: Buffer) => (s += c.toString()) === '12345678' && r(s));
  });
  p.client.write('678');
  expect(await read).toBe('12345678');
  p.close();
});

test('sendDetached: an accepted socket names its server, and is detached only while sending', async () => {
  const p = await pair();
  const named = (): unknown => (p.socket as unknown as { server: unknown }).server;
  expect(named()).toBe(p.server);
  expect(sendDetached(p.socket, () => named())).toBeNull();
  expect(named()).toBe(p.server);
  p.close();
});

test("pendingResponse: the response a server is still writing on a socket, until it has finished", async () => {
  let seen: unknown = 'unset';
  let after: unknown = 'unset';
  const server = http.createServer((req, res) => {
    seen = pendingResponse(req.socket);
    expect(seen).toBe(res);
    res.end('ok', () => {
      after = pendingResponse(req.socket);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve, reject) => {
    http.get({ port, host: '127.0.0.1', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    }).on('error', reject);
  });
  expect(seen).toBeInstanceOf(http.ServerResponse);
  await waitFor(() => (after !== 'unset' ? true : undefined), 5_000, 'the response finished');
  // Node 20 and 22 have let go of it by then, Node 24 a moment later: either way it is finished,
  // which is what the proxy waits for (http-proxy.ts, afterPendingResponses).
  expect(after === null || after === undefined || (after as http.ServerResponse).writableFinished).toBe(true);
  server.close();
});
