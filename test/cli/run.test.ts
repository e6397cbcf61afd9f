// The command line exactly as docs/cli.md gives it, run as a real child process.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, cpSync, existsSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import * as path from 'node:path';
import { parseJson, REPO, runCli, scratchDir } from '../support/cli';
import { startHttpUpstream, type Upstream } from '../support/upstream';

let plain: Upstream;
beforeAll(async () => {
  plain = await startHttpUpstream('plain');
});
afterAll(() => plain.close());

test('the issue\'s example: an allowed name reaches the loopback server, any other name is refused and recorded', async () => {
  const r = await runCli([
    'run', '--network', 'allowlist', '--allow', 'api.example.test', '--allow', '127.0.0.1/32',
    '--resolve', 'api.example.test=127.0.0.1', '--json', '--',
    'sh', '-c', `curl -s http://api.example.test:${plain.port}/; curl -s http://elsewhere.example.test:${plain.port}/`,
  ]);
  expect(r.code).toBe(0);
  const result = parseJson(r);
  expect(result.stdout).toContain('hello from plain /');
  expect(result.allowed).toEqual([expect.objectContaining({ host: 'api.example.test', port: plain.port, address: '127.0.0.1' })]);
  expect(result.denied).toEqual([expect.objectContaining({ host: 'elsewhere.example.test', reason: 'not-allowlisted' })]);
  expect(Object.keys(result).sort()).toEqual([
    'allowed', 'backend', 'denied', 'durationMs', 'exitCode', 'policy', 'recordsDropped', 'signal', 'stderr',
    'stderrBytes', 'stderrTruncated', 'stdout', 'stdoutBytes', 'stdoutTruncated', 'termination', 'workdir',
  ]);
});

test('without --json the output passes through, denials are summarised on stderr, the exit status is the command\'s', async () => {
  const r = await runCli([
    'run', '--network', 'allowlist', '--allow', '*.example.test', '--deny', 'bad.example.test',
    '--', 'sh', '-c', 'echo out; echo err >&2; curl -s http://bad.example.test/ >/dev/null; exit 7',
  ]);
  expect(r.code).toBe(7);
  expect(r.stdout).toBe('out\n');
  expect(r.stderr).toContain('err\n');
  expect(r.stderr).toMatch(
    /temporal-sandbox: refused 1 connection:\ntemporal-sandbox: {3}bad\.example\.test:80 is denylisted by 'bad\.example\.test' \[denylisted, via http\]/,
  );
});

test('--fail-on-denied: a refusal the command shrugs off (curl -s prints the 403 and exits 0) fails the run', async () => {
  const args = ['--network', 'allowlist', '--allow', 'api.example.test', '--resolve', 'api.example.test=127.0.0.1', '--'];
  const command = ['curl', '-s', '-o', '/dev/null', 'http://elsewhere.example.test/'];
  const without = await runCli(['run', ...args, ...command]);
  expect(without.code).toBe(0); // documented: a refusal alone is not a failure
  const withIt = await runCli(['run', '--fail-on-denied', ...args, ...command]);
  expect(withIt.code).toBe(1);
  expect(withIt.stderr).toMatch(/temporal-sandbox: failing: the sandbox refused 1 connection by policy \(--fail-on-denied\)/);
  const failing = await runCli(['run', '--fail-on-denied', ...args, 'sh', '-c', `${command.join(' ')}; exit 9`]);
  expect(failing.code).toBe(9); // the command's own failure stays its own
});

test('--version prints the package version', async () => {
  const r = await runCli(['--version']);
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(`temporal-sandbox ${JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).version}\n`);
});

test('`run` does not load the Temporal client (only `audit WORKFLOW_ID` needs it)', () => {
  const script = `require(${JSON.stringify(path.join(REPO, 'dist', 'cli', 'main.js'))}).main(['run', '--', 'true'])` +
    `.then((code) => process.stdout.write(JSON.stringify({ code, client: Object.keys(require.cache).some((k) => k.includes('@temporalio')) })))`;
  const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: scratchDir(), encoding: 'utf8' }));
  expect(out).toEqual({ code: 0, client: false });
});

test.each([
  [['run', '--network', 'allowlist', '--allow', '10/8', '--', 'true'], /10\/8/],
  [['run', '--network', 'allowlist', '--allow', 'EXAMPLE.com', '--', 'true'], /example\.com/],
  [['run', '--network', 'sideways', '--', 'true'], /sideways/],
  [['run', '--allow', '@nope', '--network', 'allowlist', '--', 'true'], /@nope/],
  [['run', '--frobnicate', '--', 'true'], /frobnicate/],
  [['run', 'true'], /after --|--/],
  [['run', '--'], /no command/],
  [['run', '--resolve', 'x.test', '--', 'true'], /NAME=ADDRESS/],
  [['run', '--timeout', 'soon', '--', 'true'], /--timeout/],
  [['run', '--backend', 'docker', '--', 'true'], /docker/],
  [['run', '--cwd', '/no/such/dir', '--', 'true'], /not a directory inside the view/],
  // Lists the default posture cannot use are refused, saying what to add.
  [['run', '--allow', 'pypi.org', '--', 'true'], /--allow has no effect with --network blocked.*add --network allowlist/],
  [['run', '--deny', '@cloud-metadata', '--', 'true'], /--deny has no effect with --network blocked.*add --network allowlist or --network open/],
  // Static answers are written canonically, as entries are.
  [['run', '--resolve', 'api.example.test=127.1', '--', 'true'], /write '127\.0\.0\.1'/],
  [['run', '--resolve', 'API.example.test=127.0.0.1', '--', 'true'], /write 'api\.example\.test'/],
  [['run', '--resolve', 'api.example.test=10.0.0.0/8', '--', 'true'], /one IP address/],
])('bad input %j exits 125 with one line naming the problem', async (args, pattern) => {
  const r = await runCli(args as string[]);
  expect(r.code).toBe(125);
  expect(r.stdout).toBe('');
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/^temporal-sandbox: /);
  expect(r.stderr).toMatch(pattern);
});

test('a missing backend program is named with what to install', async () => {
  const r = await runCli(['run', '--', 'true'], { env: { ...process.env, PATH: '/nonexistent' } });
  expect(r.code).toBe(125);
  expect(r.stderr).toMatch(/apt-get install bubblewrap/);
});

test('timeout exits 124 and says so', async () => {
  const r = await runCli(['run', '--timeout', '0.5', '--', 'sleep', '30']);
  expect(r.code).toBe(124);
  expect(r.stderr).toMatch(/timed out/);
});

describe('unprivileged', () => {
  const nobody = 65534;
  test('backend userns works for a user without privileges', async () => {
    // The checkout must be readable by that user (it is, under /work or /tmp; CI clones there).
    accessSync(REPO, constants.R_OK);
    const r = await runCli(
      ['run', '--backend', 'userns', '--network', 'allowlist', '--allow', 'api.example.test', '--allow', '127.0.0.1/32',
        '--resolve', 'api.example.test=127.0.0.1', '--json', '--',
        'sh', '-c', `id -u; curl -s http://api.example.test:${plain.port}/unpriv`],
      { uid: nobody, gid: nobody, env: { PATH: process.env.PATH, HOME: '/tmp' } },
    );
    const result = parseJson(r);
    expect(result.backend).toBe('userns');
    expect(result.stdout).toContain(`${nobody}\n`); // its own uid, mapped to itself, without capabilities
    expect(result.policy.backstops).toMatchObject({ hostUid: nobody, capabilities: 'none', seccomp: true });
    expect(result.stdout).toContain('hello from plain /unpriv');
    expect(result.allowed).toHaveLength(1);
  });
});

describe('nothing the host runs is writable from inside (docs/security-model.md)', () => {
  test("the issue's reproduction: a copy of the package, a hostile run in it, then the next run is the tool as it was", async () => {
    const copy = mkdtempSync(path.join(scratchDir(), 'pkg-'));
    for (const part of ['bin', 'dist', 'native', 'package.json']) cpSync(path.join(REPO, part), path.join(copy, part), { recursive: true });
    symlinkSync(path.join(REPO, 'node_modules'), path.join(copy, 'node_modules'));
    const cli = path.join(copy, 'bin', 'temporal-sandbox.js');
    const marker = path.join(copy, '..', `OUTSIDE-${path.basename(copy)}`);
    const hostile = await runCli(['run', '--', 'sh', '-c',
      `echo 'require("fs").writeFileSync(${JSON.stringify(marker)}, "uid " + process.getuid())' >> dist/cli/main.js; ` +
      'cp /bin/true dist/native/sandbox-init; mv dist dist.aside; echo > package.json; echo fine > mine.txt; cat mine.txt',
    ], { cwd: copy, cli });
    expect(hostile.stdout).toBe('fine\n');
    expect(hostile.stderr).toMatch(/dist\/cli\/main\.js: Read-only file system/);
    const next = await runCli(['run', '--json', '--', 'true'], { cwd: copy, cli });
    expect(parseJson(next).exitCode).toBe(0);
    expect(existsSync(marker)).toBe(false);
    expect(parseJson(next).policy.filesystem.readOnly).toEqual(expect.arrayContaining([`${copy}/dist`, `${copy}/bin`, `${copy}/package.json`]));
  });

  test('--workdir refuses a symlink, as --read-only does (an earlier run may have planted it)', async () => {
    const dir = mkdtempSync(path.join(scratchDir(), 'link-'));
    const planted = await runCli(['run', '--', 'ln', '-s', '/root', 'build'], { cwd: dir });
    expect(planted.code).toBe(0);
    const r = await runCli(['run', '--workdir', 'build', '--', 'touch', 'x'], { cwd: dir });
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(/the work dir ".*\/build" goes through a symlink: name the directory itself \(\/root\)/);
  });
});

test('a limit nothing applies (backend none) is said on stderr, never silent', async () => {
  const r = await runCli(['run', '--backend', 'none', '--network', 'open', '--json', '--', 'true']);
  expect(r.code).toBe(0);
  expect(parseJson(r).policy.limits.tmpBytes.by).toBe('none');
  expect(r.stderr).toContain('temporal-sandbox: warning: the tmpBytes limit was not applied: backend none: the command uses the host /tmp\n');
});
