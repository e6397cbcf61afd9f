// Load and endurance, behind SANDBOX_LOAD_TESTS=1: 1,000 concurrent tunnels through one run's
// proxies, 32 concurrent runs on one worker with records that never mix, and 1,000 runs in a
// row with this process's file descriptors and child processes back where they started.
// Figures are printed (console.log) for the report.

import { readdirSync, readFileSync } from 'node:fs';
import { createSandboxRunner, runSandboxed } from '../../sandbox';
import { startTcpUpstream } from '../proxy/helpers';

const maybe = process.env.SANDBOX_LOAD_TESTS === '1' ? describe : describe.skip;

const fds = (): number => readdirSync('/proc/self/fd').length;
const children = (): number =>
  readdirSync(`/proc/self/task`).reduce((n, t) => {
    try {
      return n + readFileSync(`/proc/self/task/${t}/children`, 'utf8').split(' ').filter(Boolean).length;
    } catch {
      return n;
    }
  }, 0);

async function settle(target: () => boolean, ms = 5_000): Promise<void> {
  const t0 = Date.now();
  while (!target() && Date.now() - t0 < ms) await new Promise((r) => setTimeout(r, 50));
}

maybe('load', () => {
  jest.setTimeout(600_000);

  test('1,000 concurrent tunnels through one run\'s proxies (HTTP CONNECT and SOCKS5) without an error', async () => {
    const echo = await startTcpUpstream('echo');
    const script = `
import asyncio, os, time
HP = int(os.environ["HTTP_PROXY"].rsplit(":", 1)[1])
SP = int(os.environ["ALL_PROXY"].rsplit(":", 1)[1])
N = 1000
async def tunnel(i):
    r, w = await asyncio.open_connection("127.0.0.1", HP if i % 2 else SP)
    if i % 2:
        w.write(b"CONNECT api.example.test:${echo.port} HTTP/1.1\\r\\n\\r\\n")
        head = await r.readuntil(b"\\r\\n\\r\\n")
        assert head.startswith(b"HTTP/1.1 200"), head
    else:
        w.write(b"\\x05\\x01\\x00")
        assert await r.readexactly(2) == b"\\x05\\x00"
        name = b"api.example.test"
        w.write(b"\\x05\\x01\\x00\\x03" + bytes([len(name)]) + name + (${echo.port}).to_bytes(2, "big"))
        rep = await r.readexactly(10)
        assert rep[1] == 0, rep
    return r, w
async def main():
    t0 = time.monotonic()
    conns = await asyncio.gather(*[tunnel(i) for i in range(N)])
    opened = time.monotonic() - t0
    for i, (r, w) in enumerate(conns):
        w.write(b"ping%d;" % i)
    for i, (r, w) in enumerate(conns):
        want = b"ping%d;" % i
        got = await r.readexactly(len(want))
        assert got == want, (got, want)
    for r, w in conns:
        w.close()
    print("tunnels", N, "open_s", round(opened, 3), "total_s", round(time.monotonic() - t0, 3))
asyncio.run(main())
`;
    try {
      const r = await runSandboxed({
        networkMode: 'allowlist', networkAllowlist: ['api.example.test', '127.0.0.1/32'], backend: 'bubblewrap',
        resolveStatic: new Map([['api.example.test', ['127.0.0.1']]]), timeoutSeconds: 120,
        command: ['python3', '-c', script],
        maxRecords: 2000,
      });
      console.log(`load: ${r.stdout.trim()} run_ms ${r.durationMs}`);
      expect(r.stderr).toBe('');
      expect(r.exitCode).toBe(0);
      expect(r.allowed).toHaveLength(1000);
      expect(r.denied).toEqual([]);
    } finally {
      await echo.close();
    }
  });

  test('32 concurrent runs on one worker: each run\'s records are its own', async () => {
    const echo = await startTcpUpstream('echo');
    const runner = createSandboxRunner({ warm: 4 });
    try {
      const names = Array.from({ length: 32 }, (_, i) => `run${i}.example.test`);
      const resolveStatic = new Map(names.map((n) => [n, ['127.0.0.1']]));
      const t0 = Date.now();
      const results = await Promise.all(
        names.map((name, i) =>
          runner.run({
            networkMode: 'allowlist', networkAllowlist: ['*.example.test', '127.0.0.1/32'], backend: 'bubblewrap', resolveStatic,
            command: ['python3', '-c',
              'import socket,os\n' +
              'p=int(os.environ["HTTP_PROXY"].rsplit(":",1)[1])\n' +
              'for k in range(5):\n' +
              '  s=socket.create_connection(("127.0.0.1",p))\n' +
              `  s.sendall(b"CONNECT ${name}:${echo.port} HTTP/1.1\\r\\n\\r\\n"); assert s.recv(100).startswith(b"HTTP/1.1 200"); s.close()\n` +
              `s=socket.create_connection(("127.0.0.1",p)); s.sendall(b"CONNECT denied${i}.other.test:1 HTTP/1.1\\r\\n\\r\\n"); print(s.recv(100)[:12])\n`],
          }),
        ),
      );
      console.log(`load: 32 concurrent runs in ${Date.now() - t0} ms`);
      results.forEach((r, i) => {
        expect(r.exitCode).toBe(0);
        expect(r.allowed.map((a) => a.host)).toEqual(Array(5).fill(names[i]));
        expect(r.denied.map((d) => d.host)).toEqual([`denied${i}.other.test`]);
      });
    } finally {
      runner.close();
      await echo.close();
    }
  });

  test('1,000 runs in a row: file descriptors and child processes back at their starting values', async () => {
    const runner = createSandboxRunner({ warm: 1 });
    await runner.settled();
    // One run first, so that lazily created handles (the warm sandbox, IPC) exist at the baseline.
    await runner.run({ networkMode: 'allowlist', networkAllowlist: ['api.example.test'], backend: 'bubblewrap', command: ['true'] });
    await runner.settled();
    const fd0 = fds();
    const ch0 = children();
    const t0 = Date.now();
    for (let i = 0; i < 1000; i++) {
      const r = await runner.run({ networkMode: 'allowlist', networkAllowlist: ['api.example.test'], backend: 'bubblewrap', command: ['true'] });
      expect(r.exitCode).toBe(0);
    }
    const ms = Date.now() - t0;
    await runner.settled();
    await settle(() => fds() <= fd0 && children() <= ch0);
    console.log(`load: 1000 runs in ${ms} ms (${(ms / 1000).toFixed(2)} ms/run); fds ${fd0} -> ${fds()}, children ${ch0} -> ${children()}`);
    expect(fds()).toBeLessThanOrEqual(fd0);
    expect(children()).toBeLessThanOrEqual(ch0);
    runner.close();
  });
});
