// How runs end: exit codes and signals, timeouts that leave no process behind, bounded output,
// concurrent runs whose records never mix, and clear errors for bad input.
import { runSandboxed, SandboxInputError, SandboxPolicyError } from '../../sandbox';
import type { Backend, RunOptions, RunResult } from '../../sandbox';
import { processesWith, uniqueMarker } from '../support/processes';
import { startHttpUpstream, type Upstream } from '../support/upstream';

let plain: Upstream;
beforeAll(async () => {
  plain = await startHttpUpstream('plain');
});
afterAll(() => plain.close());

describe.each<Backend>(['bubblewrap', 'userns', 'none'])('backend %s', (backend) => {
  // Backend none has no namespace, so it runs only the open posture.
  const run = (options: Omit<RunOptions, 'backend'>): Promise<RunResult> =>
    runSandboxed({ backend, ...(backend === 'none' ? { networkMode: 'open' as const } : {}), ...options });
  test('exit code, stdout, stderr and stdin pass through', async () => {
    const result = await run({ command: ['sh', '-c', 'cat; echo err >&2; exit 3'], stdin: 'in-put' });
    expect(result).toMatchObject({ exitCode: 3, signal: null, termination: 'exited', stdout: 'in-put', stderr: 'err\n', backend });
    expect(result.stdoutBytes).toBe(6);
  });

  test('a command killed by a signal reports the signal', async () => {
    const result = await run({ command: ['sh', '-c', 'kill -USR1 $$'] });
    expect(result).toMatchObject({ exitCode: null, signal: 'SIGUSR1', termination: 'signal' });
  });

  test('a missing program is exit 127 with a message', async () => {
    const result = await run({ command: ['no-such-program-here'] });
    expect(result.exitCode).toBe(127);
    expect(result.stderr).toContain("cannot run 'no-such-program-here'");
  });

  test('timeout ends the whole tree, including children that ignore SIGTERM and background ones', async () => {
    const marker = uniqueMarker();
    const started = Date.now();
    const result = await run({
      timeoutSeconds: 1,
      killGraceMs: 1000,
      command: ['sh', '-c', `sleep ${marker} & (trap '' TERM; sleep ${marker}) & trap '' TERM; sleep ${marker}; wait`],
    });
    expect(result.termination).toBe('timeout');
    expect(result.exitCode).toBeNull();
    expect(Date.now() - started).toBeLessThan(6000);
    expect(processesWith(`sleep\0${marker}`)).toEqual([]);
  });

  test('background processes do not outlive a command that exits, even in a session of their own', async () => {
    const marker = uniqueMarker();
    const result = await run({
      // The pause lets both start before the command exits.
      command: ['sh', '-c', `nohup sleep ${marker} >/dev/null 2>&1 & setsid sh -c 'sleep ${marker}; :' >/dev/null 2>&1 & sleep 0.3; echo started`],
    });
    expect(result.stdout).toBe('started\n');
    expect(processesWith(marker)).toEqual([]);
  });

  test('cancellation through an AbortSignal', async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 300);
    const result = await run({ killGraceMs: 500, command: ['sleep', '30'], signal: abort.signal });
    expect(result.termination).toBe('cancelled');
  });
});

test('output is bounded, head and tail kept, the cut marked', async () => {
  const result = await runSandboxed({
    command: ['python3', '-c', 'import sys; sys.stdout.write("A" * 100000 + "B" * 1000000 + "C" * 100000)'],
    outputLimitBytes: 64 * 1024,
  });
  expect(result.stdoutBytes).toBe(1_200_000);
  expect(result.stdoutTruncated).toBe(true);
  expect(result.stdout.startsWith('A'.repeat(32 * 1024))).toBe(true);
  expect(result.stdout.endsWith('C'.repeat(32 * 1024))).toBe(true);
  expect(result.stdout).toContain('bytes omitted');
  expect(result.stdout.length).toBeLessThan(70 * 1024);
});

test('two concurrent runs keep their records apart', async () => {
  const common = {
    networkMode: 'allowlist' as const,
    networkAllowlist: ['*.example.test', '127.0.0.1/32'],
    resolveStatic: new Map([['one.example.test', ['127.0.0.1']], ['two.example.test', ['127.0.0.1']]]),
  };
  const curls = (name: string) => ['sh', '-c', `for i in 1 2 3 4 5; do curl -sS http://${name}:${plain.port}/$i; curl -s http://deny-${name.split(".")[0]}.test:1/ ; done`];
  const [one, two] = await Promise.all([
    runSandboxed({ ...common, command: curls('one.example.test') }),
    runSandboxed({ ...common, command: curls('two.example.test') }),
  ]);
  expect(one.allowed).toHaveLength(5);
  expect(two.allowed).toHaveLength(5);
  expect(one.allowed.every((r) => r.host === 'one.example.test')).toBe(true);
  expect(two.allowed.every((r) => r.host === 'two.example.test')).toBe(true);
  expect(one.denied.every((r) => r.host === 'deny-one.test')).toBe(true);
  expect(two.denied.every((r) => r.host === 'deny-two.test')).toBe(true);
  expect(one.denied).toHaveLength(5);
});

test('bad input is refused before anything runs', async () => {
  await expect(runSandboxed({ command: [] })).rejects.toThrow(SandboxInputError);
  await expect(runSandboxed({ command: ['true'], cwd: '/no/such/dir' })).rejects.toThrow(/not a directory inside the view/);
  await expect(runSandboxed({ command: ['true'], env: { 'BAD=KEY': 'x' } })).rejects.toThrow(SandboxInputError);
  // An unknown name is a policy error wherever it is written (CLI, workflow, worker); a known backend that cannot start is a SandboxBackendError.
  await expect(runSandboxed({ command: ['true'], backend: 'docker' as Backend })).rejects.toThrow(SandboxPolicyError);
  await expect(
    runSandboxed({ command: ['true'], networkMode: 'allowlist', networkAllowlist: ['127.1'] }),
  ).rejects.toThrow(SandboxPolicyError);
  await expect(
    runSandboxed({ command: ['true'], networkMode: 'allowlist', networkAllowlist: ['pypi.org'], call: { networkAllowlist: ['evil.test'] } }),
  ).rejects.toThrow(/evil\.test/);
});
