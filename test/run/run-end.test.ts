// A run always ends, and says how (docs/mechanism.md, "A run always ends"): once the command is
// gone, the result comes back within a few seconds whatever its connections do. Tunnels left open
// towards an upstream that never answers, on every way in (CONNECT and SOCKS5 in the relay, SOCKS5
// with 1 MiB of early bytes in Node, transparent capture, a forwarded request whose answer never
// comes), are ended by the run and recorded as 'run-end'. A relay that stops answering cannot hold
// a run's end either. Real runs, a real upstream on loopback, the real relay process.
import * as net from 'node:net';
import { runSandboxed } from '../../sandbox';
import type { Backend, RunResult } from '../../sandbox';
import { relayProcessId } from '../../sandbox/relay/kernel-relay';
import { allowedRecords, startPair } from '../proxy/helpers';

const NAME = 'stall.example.test';

/** Accepts, never reads, never answers, never closes: every tunnel to it stays open. */
let silent: net.Server;
let port: number;
const held = new Set<net.Socket>();
beforeAll(async () => {
  silent = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (s) => {
    held.add(s);
    s.on('error', () => undefined);
    s.on('close', () => held.delete(s));
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  port = (silent.address() as net.AddressInfo).port;
});
afterAll(async () => {
  for (const s of held) s.destroy();
  await new Promise((r) => silent.close(r));
});

/** Opens every kind of tunnel towards the silent upstream, reads every answer whole (so that its
 * exit closes each socket cleanly, without a reset), says "open", and leaves them to the run. */
const CLIENT = `
import os, socket, sys, time
PORT = int(sys.argv[1]); NAME = sys.argv[2]
HTTP = int(os.environ["HTTP_PROXY"].rsplit(":", 1)[1]); SOCKS = int(os.environ["ALL_PROXY"].rsplit(":", 1)[1])
keep = []
def read_exactly(s, n):
    got = b""
    while len(got) < n:
        c = s.recv(n - len(got))
        assert c, "closed early"
        got += c
    return got
def read_head(s):
    got = b""
    while b"\\r\\n\\r\\n" not in got:
        c = s.recv(1)
        assert c, "closed early"
        got += c
    return got
s = socket.create_connection(("127.0.0.1", HTTP)); keep.append(s)
s.sendall(b"CONNECT 127.0.0.1:%d HTTP/1.1\\r\\nHost: x\\r\\n\\r\\nearly" % PORT)
assert read_head(s).startswith(b"HTTP/1.1 200")
for early in (b"x" * 10, b"y" * (1 << 20)):
    s = socket.create_connection(("127.0.0.1", SOCKS)); keep.append(s)
    s.sendall(b"\\x05\\x01\\x00\\x05\\x01\\x00\\x01\\x7f\\x00\\x00\\x01" + PORT.to_bytes(2, "big") + early)
    assert read_exactly(s, 12)[:4] == b"\\x05\\x00\\x05\\x00"
s = socket.create_connection(("127.0.0.1", HTTP)); keep.append(s)
s.sendall(b"GET http://127.0.0.1:%d/never HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n" % PORT)
s = socket.create_connection((NAME, PORT)); keep.append(s)
s.sendall(b"transparent early bytes")
time.sleep(0.3)
print("open", flush=True)
time.sleep(float(sys.argv[3]))
`;

function run(backend: Backend, linger: number, onOpen?: () => void): Promise<RunResult> {
  return runSandboxed({
    backend,
    networkMode: 'allowlist',
    networkAllowlist: [NAME, '127.0.0.1'],
    resolveStatic: new Map([[NAME, ['127.0.0.1']]]),
    timeoutSeconds: 30,
    command: ['/usr/bin/python3', '-c', CLIENT, String(port), NAME, String(linger)],
    onOutput: (_stream, chunk) => {
      if (chunk.toString().includes('open')) onOpen?.();
    },
  });
}

describe.each<Backend>(['bubblewrap', 'userns'])('backend %s', (backend) => {
  test('every way in, stalled: the run ends at once after its command, each tunnel recorded as ended by the run', async () => {
    let exited = 0;
    const started = Date.now();
    const result = await run(backend, 0, () => (exited = Date.now()));
    const after = Date.now() - exited;
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('open\n');
    expect(result.exitCode).toBe(0);
    expect(exited).toBeGreaterThan(started);
    expect(after).toBeLessThan(3_000);
    // A forwarded request's bytesUp counts its body (none); a tunnel's, what went up.
    const seen = result.allowed.map((a) => `${a.proxy} ${a.bytesUp} ${a.ended}`).sort();
    expect(seen).toEqual(['http 0 run-end', 'http 5 run-end', `socks5 ${1 << 20} run-end`, 'socks5 10 run-end', 'transparent 23 run-end'].sort());
    expect(result.denied).toEqual([]);
  });
});

test("a relay that stops answering cannot hold a run's end: its tunnels are settled within the bound", async () => {
  let stopped: number | null = null;
  const started = Date.now();
  const result = await run('bubblewrap', 0.5, () => {
    stopped = relayProcessId();
    if (stopped) process.kill(stopped, 'SIGSTOP');
  });
  try {
    expect(stopped).not.toBeNull();
    expect(Date.now() - started).toBeLessThan(8_000);
    // Settled here without the relay's counts: how they ended is known, their bytes are not.
    expect(result.allowed.map((a) => a.ended)).toEqual(Array(5).fill('run-end'));
    expect(result.allowed.map((a) => a.bytesUp)).toEqual([0, 0, 0, 0, 0]);
  } finally {
    if (stopped) process.kill(stopped, 'SIGCONT');
  }
});

test("in Node (no relay): the proxies' close ends stalled tunnels and forwarded requests, each recorded as ended by the run", async () => {
  const p = await startPair({ networkAllowlist: ['127.0.0.1'], relay: false });
  const sockets: net.Socket[] = [];
  const open = (proxyPort: number, bytes: Buffer, answerLength: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const s = net.connect({ port: proxyPort, host: '127.0.0.1' });
      sockets.push(s);
      s.on('error', () => undefined);
      let got = 0;
      s.on('data', (c: Buffer) => (got += c.length) >= answerLength && resolve());
      s.once('close', () => reject(new Error('closed early')));
      s.write(bytes);
      if (answerLength === 0) setTimeout(resolve, 200);
    });
  const connect = Buffer.from(`CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: x\r\n\r\nearly`);
  await open(p.httpPort, connect, 'HTTP/1.1 200 Connection established\r\n\r\n'.length);
  await open(p.socksPort, Buffer.concat([Buffer.from([5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, port >> 8, port & 255]), Buffer.alloc(1 << 20, 1)]), 12);
  await open(p.httpPort, Buffer.from(`GET http://127.0.0.1:${port}/never HTTP/1.1\r\nHost: x\r\n\r\n`), 0);
  const t0 = Date.now();
  await p.pair.close();
  expect(Date.now() - t0).toBeLessThan(1_000);
  expect(allowedRecords(p.ctx).map((a) => `${a.proxy} ${a.bytesUp} ${a.ended}`).sort()).toEqual(['http 0 run-end', 'http 5 run-end', `socks5 ${1 << 20} run-end`].sort());
  for (const s of sockets) s.destroy();
});
