// The package as a consumer gets it: `npm pack`, installed into a fresh strict TypeScript project
// beside @temporalio/*, type-checked under node16, bundler and node, its workflow bundled and run
// on the dev server by a worker that runs the sandbox for real (the prebuilt helper: the tarball
// has no other), and `temporal-sandbox audit --history` on that workflow's exported history.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { temporalCli } from '../../fixtures/dev-server';
import { childEnv, copiesOf, readmeExamples, REPO, run, TEMPORAL_PACKAGES, writeProject } from './scratch';

let scratch: string;
let project: string;
let tarball: string;
let installed = false;
let workflowId: string | null = null;

function server(): { address: string; namespace: string } {
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) throw new Error('TEMPORAL_ADDRESS is not set: run these tests through jest.config.js (its globalSetup starts the server)');
  return { address, namespace: process.env.TEMPORAL_NAMESPACE || 'default' };
}

function needInstall(): void {
  if (!installed) throw new Error('the project was not installed (see the failure above)');
}

beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'sbx-consumer-'));
  project = path.join(scratch, 'project');
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

test('npm pack: what runs, and nothing of the repository besides', async () => {
  const packed = await run('npm', ['pack', '--json', '--pack-destination', scratch], { cwd: REPO, timeoutMs: 60_000 });
  expect({ code: packed.code, stderr: packed.code === 0 ? '' : packed.stderr }).toEqual({ code: 0, stderr: '' });
  tarball = path.join(scratch, JSON.parse(packed.stdout)[0].filename);

  const listed = await run('tar', ['tzf', tarball], { cwd: scratch, timeoutMs: 10_000 });
  expect(listed.code).toBe(0);
  const files = listed.stdout.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
  for (const f of ['LICENSE', 'README.md', 'package.json', 'bin/temporal-sandbox.js', 'dist/native/linux-x64/sandbox-init', 'dist/native/linux-arm64/sandbox-init', 'native/sandbox-init.c', 'native/spec.h']) {
    expect(files).toContain(f);
  }
  for (const entry of ['dist/sandbox/index', 'dist/sandbox/policy/index', 'dist/workflows/index', 'dist/activities/index', 'dist/cli/main']) {
    expect(files).toEqual(expect.arrayContaining([`${entry}.js`, `${entry}.d.ts`]));
  }
  const stray = files.filter((f) => /^dist\/(test|bench|demo|scripts|examples)\/|^dist\/worker\.|\.map$|\.test\.|^dist\/native\/sandbox-init$|\.ts$(?<!\.d\.ts)/.test(f));
  expect(stray).toEqual([]);
});

test("the README's TypeScript examples are all there to check: two workflows and a worker", () => {
  const examples = readmeExamples();
  expect(examples.length).toBeGreaterThanOrEqual(3);
  expect(examples.filter((code) => code.includes("from 'temporal-sandbox/workflow'")).length).toBeGreaterThanOrEqual(2);
  expect(examples.some((code) => code.includes("from 'temporal-sandbox/worker'") && code.includes("from '@temporalio/worker'"))).toBe(true);
});

test('installs into a fresh project, with one copy of each @temporalio package', async () => {
  writeProject(project, tarball);
  const npm = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: project, timeoutMs: 170_000 });
  expect({ code: npm.code, stderr: npm.code === 0 ? '' : npm.stderr }).toEqual({ code: 0, stderr: '' });
  installed = true;
  for (const name of TEMPORAL_PACKAGES) {
    expect({ name, copies: copiesOf(project, name) }).toEqual({ name, copies: [path.join(project, 'node_modules', name)] });
  }
}, 180_000);

// tsconfig.json: strict, node16 (and it emits what runs below); the others extend it.
test.each([
  ['node16', 'node_modules/typescript/bin/tsc', 'tsconfig.json'],
  ['bundler', 'node_modules/typescript/bin/tsc', 'tsconfig.bundler.json'],
  ['node', 'node_modules/typescript-node10/bin/tsc', 'tsconfig.node.json'],
])("the workflow, the worker and the README's examples type-check under moduleResolution %s", async (_resolution, tsc, config) => {
  needInstall();
  const checked = await run(process.execPath, [tsc, '-p', config], { cwd: project, timeoutMs: 60_000 });
  expect({ code: checked.code, out: checked.stdout + checked.stderr }).toEqual({ code: 0, out: '' });
});

test("the package's own declarations check clean without skipLibCheck", async () => {
  needInstall();
  // Temporal's declarations do not (ms, long): only errors in ours count.
  const checked = await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--noEmit', '--skipLibCheck', 'false'], { cwd: project, timeoutMs: 60_000 });
  const ours = (checked.stdout + checked.stderr).split('\n').filter((line) => line.startsWith('node_modules/temporal-sandbox/'));
  expect(ours).toEqual([]);
});

test('every entry point loads', async () => {
  needInstall();
  const loaded = await run(process.execPath, ['dist/entry-points.js'], { cwd: project, timeoutMs: 20_000 });
  expect({ code: loaded.code, stderr: loaded.stderr }).toEqual({ code: 0, stderr: '' });
  expect(JSON.parse(loaded.stdout)).toMatchObject({ backends: ['bubblewrap', 'userns', 'none'], mode: 'blocked', activity: 'sandbox.run', plugin: 'function' });
});

test('the bundled workflow runs on the dev server, the sandbox for real, and the worker warns of nothing', async () => {
  needInstall();
  const { address, namespace } = server();
  const ran = await run(process.execPath, ['dist/main.js'], { cwd: project, env: childEnv({ TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: namespace }), timeoutMs: 90_000 });
  expect({ code: ran.code, stderr: ran.code === 0 ? '' : ran.stderr }).toEqual({ code: 0, stderr: '' });
  const out = JSON.parse(ran.stdout);
  expect(out.result).toEqual({ hello: 'hello from the package', refused: ['example.com:80 not-allowlisted'] });
  workflowId = out.workflowId;
  // Source maps that point at sources the package does not ship show up here, in webpack's report.
  expect((ran.stdout + ran.stderr).split('\n').filter((line) => /warn|source ?map/i.test(line))).toEqual([]);
}, 100_000);

test('temporal-sandbox audit --history reads the exported history in the consumer\'s install', async () => {
  if (!workflowId) throw new Error('the workflow did not run (see the failure above)');
  const { address, namespace } = server();
  const file = path.join(scratch, 'history.json');
  const exported = await run(temporalCli(), ['workflow', 'show', '--workflow-id', workflowId, '--output', 'json', '--address', address, '--namespace', namespace], {
    cwd: scratch,
    timeoutMs: 20_000,
  });
  expect(exported.code).toBe(0);
  writeFileSync(file, exported.stdout);

  const audit = await run(path.join(project, 'node_modules', '.bin', 'temporal-sandbox'), ['audit', '--history', file, '--json'], { cwd: project, timeoutMs: 20_000 });
  expect({ code: audit.code, stderr: audit.stderr }).toEqual({ code: 0, stderr: '' });
  const report = JSON.parse(audit.stdout);
  expect(report.workflowId).toBe(workflowId);
  expect(report.runs.map((r: { posture: string; command: string[] }) => [r.posture, r.command])).toEqual([
    ['blocked', ['echo', 'hello from the package']],
    ['allowlist', ['/bin/sh', '-c', 'curl -s -o /dev/null http://example.com/']],
  ]);
  expect(report.refused).toEqual([expect.objectContaining({ host: 'example.com', port: 80, reason: 'not-allowlisted' })]);
});

test("a hostile run in the consumer's own project cannot change what the host runs next: the package, its dependencies, git's hooks and config", async () => {
  needInstall();
  const bin = path.join(project, 'node_modules', '.bin', 'temporal-sandbox');
  const git = await run('git', ['init', '-q', '.'], { cwd: project, timeoutMs: 10_000 });
  expect(git.code).toBe(0);
  const marker = path.join(scratch, 'OUTSIDE');
  // Each line tries one way to plant code the host would run; each must fail from inside.
  const attempts = [
    `echo 'require("fs").writeFileSync(${JSON.stringify(marker)}, "ran")' >> node_modules/temporal-sandbox/dist/cli/main.js`,
    `cp /bin/true node_modules/temporal-sandbox/dist/native/linux-${process.arch}/sandbox-init`,
    'echo "module.exports = 1" > node_modules/ipaddr.js/lib/ipaddr.js',
    'mv node_modules node_modules.aside',
    'mv node_modules/temporal-sandbox node_modules/aside',
    'printf "#!/bin/sh\\ntouch /tmp/x\\n" > .git/hooks/post-checkout',
    'printf "[core]\\nfsmonitor = touch /tmp/x\\n" >> .git/config',
    'mv .git .git.aside',
  ];
  const script = attempts.map((a) => `if ${a} 2>/dev/null; then echo "WROTE: ${a.replace(/"/g, "'")}"; fi`).join('\n');
  const hostile = await run(bin, ['run', '--', 'sh', '-c', `${script}\necho done`], { cwd: project, timeoutMs: 30_000 });
  expect({ code: hostile.code, stdout: hostile.stdout }).toEqual({ code: 0, stdout: 'done\n' });
  // The next invocation is the tool as installed.
  const next = await run(bin, ['run', '--', 'true'], { cwd: project, timeoutMs: 30_000 });
  expect(next.code).toBe(0);
  expect(existsSync(marker)).toBe(false);
  // And the project itself stays writable: the command's own work goes on.
  const work = await run(bin, ['run', '--', 'sh', '-c', 'echo built > out.txt && git add out.txt && cat out.txt'], { cwd: project, timeoutMs: 30_000 });
  expect(work.stdout).toBe('built\n');
}, 120_000);
