// Warm sandboxes: started ahead, but each still serves exactly one run, with that run's policy,
// environment and directory; closing the runner leaves nothing behind.
import { readlinkSync } from 'node:fs';
import { createSandboxRunner, type SandboxRunner } from '../../sandbox';
import { startHttpUpstream, type Upstream } from '../support/upstream';
import { parentOf, processesWith } from '../support/processes';

let plain: Upstream;
let runner: SandboxRunner;
beforeAll(async () => {
  plain = await startHttpUpstream('plain');
  runner = createSandboxRunner({ warm: 1 });
});
afterAll(async () => {
  runner.close();
  await plain.close();
});

test('every run gets a namespace of its own, never the host\'s, never another run\'s', async () => {
  // Namespace inode numbers are reused once a namespace is gone, so compare runs that overlap.
  const host = readlinkSync('/proc/self/ns/net');
  for (let i = 0; i < 3; i++) {
    await runner.settled();
    const [a, b, c] = await Promise.all(
      [0, 1, 2].map(() => runner.run({ command: ['sh', '-c', 'readlink /proc/self/ns/net; sleep 0.3'] })),
    );
    const seen = [a, b, c].map((r) => r.stdout.trim());
    for (const ns of seen) expect(ns).toMatch(/^net:\[\d+\]$/);
    expect(new Set([host, ...seen]).size).toBe(4);
  }
});

test('the policy, environment, directory and input are the run\'s own', async () => {
  const resolveStatic = new Map([['api.example.test', ['127.0.0.1']]]);
  const command = ['sh', '-c', `pwd; echo "$GREETING"; cat; curl -s -o /dev/null -w '%{http_code}\\n' http://api.example.test:${plain.port}/`];
  await runner.settled();
  const allowed = await runner.run({
    command, cwd: '/tmp', env: { GREETING: 'first' }, stdin: 'in-one\n', resolveStatic,
    networkMode: 'allowlist', networkAllowlist: ['api.example.test', '127.0.0.1/32'],
  });
  expect(allowed.stdout).toBe('/tmp\nfirst\nin-one\n200\n');
  await runner.settled();
  const refused = await runner.run({
    command, cwd: '/', env: { GREETING: 'second' }, resolveStatic,
    networkMode: 'allowlist', networkAllowlist: ['other.example.test'],
  });
  expect(refused.stdout).toBe('/\nsecond\n403\n');
  expect(refused.denied).toEqual([expect.objectContaining({ host: 'api.example.test', reason: 'not-allowlisted' })]);
  expect(refused.allowed).toEqual([]);
});

test('closing the runner ends the idle warm sandboxes', async () => {
  const local = createSandboxRunner({ warm: 2 });
  await local.run({ command: ['true'] });
  await local.settled();
  await runner.settled();
  // Our own children only: other test files may hold warm sandboxes of their own.
  const mine = () => processesWith('\0--spec-fd\0').filter((pid) => parentOf(pid) === process.pid);
  const before = mine().length;
  expect(before).toBeGreaterThanOrEqual(2);
  local.close();
  for (let i = 0; i < 100 && mine().length > before - 2; i++) await new Promise((r) => setTimeout(r, 20));
  expect(mine().length).toBe(before - 2);
});
