// The relay process's life (docs/mechanism.md, "The relay"): started by a run's first tunnel
// (a CONNECT one: curl -p), and stopped when its runner closes.
import { createSandboxRunner } from '../../sandbox';
import { relayProcessId } from '../../sandbox/relay/kernel-relay';
import { startHttpUpstream, type Upstream } from '../support/upstream';

let web: Upstream;
beforeAll(async () => {
  web = await startHttpUpstream('web');
});
afterAll(() => web.close());

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test("a run's tunnel starts the relay; the runner's close stops it, and nothing is left", async () => {
  const runner = createSandboxRunner({ warm: 0 });
  const result = await runner.run({
    command: ['curl', '-sS', '-p', '-o', '/dev/null', '-w', '%{http_code}', `http://api.example.test:${web.port}/`],
    networkMode: 'allowlist',
    networkAllowlist: ['api.example.test', '127.0.0.1'],
    resolveStatic: new Map([['api.example.test', ['127.0.0.1']]]),
    timeoutSeconds: 20,
  });
  expect(result.stdout).toBe('200');
  expect(result.allowed).toEqual([expect.objectContaining({ proxy: 'http', bytesDown: expect.any(Number) })]);
  const pid = relayProcessId();
  expect(pid).not.toBeNull();
  expect(alive(pid!)).toBe(true);
  runner.close();
  expect(relayProcessId()).toBeNull();
  const deadline = Date.now() + 5000;
  while (alive(pid!) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(alive(pid!)).toBe(false);
});
