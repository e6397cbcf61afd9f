// A consumer's project in a scratch directory: the packed tarball installed beside
// @temporalio/* and TypeScript at the versions this repository uses.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '..', '..', '..');
const FIXTURE = path.join(REPO, 'test', 'consumer', 'project');
export const TEMPORAL_PACKAGES = ['activity', 'client', 'common', 'plugin', 'worker', 'workflow'].map((n) => `@temporalio/${n}`);
// TypeScript 7 has no moduleResolution node10 any more; the last TypeScript with it checks that one.
const TYPESCRIPT_NODE10 = '5.9.3';

export type Ran = { code: number | null; stdout: string; stderr: string };

/**
 * Runs a program to its end (or kills it after timeoutMs), with its output. At the lowest CPU
 * priority: installs and compiles here would otherwise slow the timed runs of the tests beside.
 */
export function run(file: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn('nice', ['-n', '19', file, ...args], { cwd: options.cwd, env: options.env ?? childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * The environment without what `npm test` exported for this repository (npm_config_local_prefix
 * and the like would point a nested npm back at it); the cache and registry settings stay.
 */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig']);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) || keep.has(k.toLowerCase())));
  return { ...env, ...extra };
}

function repoVersion(name: string): string {
  return JSON.parse(readFileSync(path.join(REPO, 'node_modules', name, 'package.json'), 'utf8')).version;
}

/** The README's TypeScript examples, in order: the consumer project type-checks each as a file. */
export function readmeExamples(): string[] {
  const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8');
  return [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

/**
 * Writes the project: the fixture's sources and tsconfigs, the README's examples under
 * src/readme/ (so a snippet that no longer compiles fails this test), and a package.json naming
 * `tarball`.
 */
export function writeProject(dir: string, tarball: string): void {
  cpSync(FIXTURE, dir, { recursive: true });
  mkdirSync(path.join(dir, 'src', 'readme'));
  readmeExamples().forEach((code, i) => writeFileSync(path.join(dir, 'src', 'readme', `example-${i + 1}.ts`), code));
  const dependencies: Record<string, string> = { 'temporal-sandbox': `file:${tarball}` };
  for (const name of TEMPORAL_PACKAGES) dependencies[name] = repoVersion(name);
  const devDependencies = {
    '@types/node': repoVersion('@types/node'),
    typescript: repoVersion('typescript'),
    'typescript-node10': `npm:typescript@${TYPESCRIPT_NODE10}`,
  };
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name: 'consumer', version: '0.0.0', private: true, dependencies, devDependencies }, null, 2)}\n`);
}

/** Every directory of node_modules under `dir` that holds the package `name`. */
export function copiesOf(dir: string, name: string): string[] {
  const found: string[] = [];
  const walk = (modules: string) => {
    if (!existsSync(modules)) return;
    for (const entry of readdirSync(modules)) {
      const scoped = entry.startsWith('@') ? readdirSync(path.join(modules, entry)).map((e) => `${entry}/${e}`) : [entry];
      for (const pkg of scoped) {
        const at = path.join(modules, pkg);
        if (pkg === name) found.push(at);
        walk(path.join(at, 'node_modules'));
      }
    }
  };
  walk(path.join(dir, 'node_modules'));
  return found;
}
