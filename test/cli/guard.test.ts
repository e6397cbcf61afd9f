// The CLI never exits without its result or an error (docs/mechanism.md, "A run always ends").
// The guard is provoked with a main that can never settle, in a real Node process; and the
// issue's reproduction (a SOCKS5 tunnel with 40 KiB and 1 MiB of early data, half-closed) runs
// through the real command line and ends at once with the command's status and its record.
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { parseJson, REPO, runCli } from '../support/cli';

const GUARD = path.join(REPO, 'dist', 'cli', 'guard.js');
const WAITS = path.join(REPO, 'dist', 'sandbox', 'waits.js');

function node(script: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

test('a main that can never settle: exit 70 and an internal error, not a silent 0', async () => {
  const r = await node(`require(${JSON.stringify(GUARD)}).exitWhenSettled(new Promise(() => {}))`);
  expect(r.code).toBe(70);
  expect(r.stderr).toBe('temporal-sandbox: internal error: nothing is left to wait on, but the command has no result (no named wait was pending); please report this\n');
});

test('the error names what the command was waiting for', async () => {
  const r = await node(
    `const pending = require(${JSON.stringify(WAITS)}).waitingFor("the test's stalled step", new Promise(() => {}));` +
      `require(${JSON.stringify(GUARD)}).exitWhenSettled(pending.then(() => 0));`,
  );
  expect(r.code).toBe(70);
  expect(r.stderr).toContain("(it was waiting for the test's stalled step)");
});

test('a main that throws: exit 70 with the error', async () => {
  const r = await node(`require(${JSON.stringify(GUARD)}).exitWhenSettled(Promise.reject(new Error('boom')))`);
  expect(r.code).toBe(70);
  expect(r.stderr).toMatch(/^temporal-sandbox: internal error: Error: boom\n/);
});

test("a main that settles: its status, even with the loop still busy for a while", async () => {
  const r = await node(`require(${JSON.stringify(GUARD)}).exitWhenSettled(Promise.resolve(3)); setTimeout(() => {}, 200)`);
  expect(r).toEqual({ code: 3, stderr: '' });
});

describe("the issue's reproduction through the command line", () => {
  let server: net.Server;
  let port: number;
  beforeAll(async () => {
    // Reads to the client's end, then answers and closes.
    server = net.createServer({ allowHalfOpen: true }, (s) => {
      let n = 0;
      s.on('data', (c: Buffer) => (n += c.length));
      s.on('end', () => s.end(`got ${n}\n`));
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  test.each([40_000, 1 << 20])('%d early bytes, half-closed: the CLI ends at once with exit 37 and the record', async (n) => {
    const py = [
      'import os, socket',
      "s = socket.create_connection(('127.0.0.1', int(os.environ['all_proxy'].rsplit(':', 1)[1])))",
      `s.sendall(b'\\x05\\x01\\x00\\x05\\x01\\x00\\x01\\x7f\\x00\\x00\\x01' + (${port}).to_bytes(2, 'big') + b'a' * ${n})`,
      's.shutdown(1)',
      // The recv(100) may return the method selection alone and exit before the proxy has
      // dialed (then no connection was made, and none is recorded): read the whole answer.
      "r = b''",
      'while len(r) < 12: r += s.recv(12 - len(r))',
      'print(r[:4])',
    ].join('\n');
    const started = Date.now();
    const r = await runCli(['run', '--network', 'allowlist', '--allow', '127.0.0.1/32', '--json', '--', 'sh', '-c', `python3 -c "${py}"; exit 37`], { timeoutMs: 20_000 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(r.code).toBe(37);
    const result = parseJson(r);
    expect(result.exitCode).toBe(37);
    expect(result.allowed).toEqual([expect.objectContaining({ proxy: 'socks5', port, ended: expect.stringMatching(/^(closed|reset|run-end)$/) })]);
  });
});
