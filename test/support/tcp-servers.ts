// Real non-HTTP servers on loopback for the transparent-capture tests: a redis-server and a
// git daemon serving a repository of one commit, each on a free port of its own.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { which } from '../../sandbox/run/which';

export type TcpServer = { port: number; close(): Promise<void> };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}) before listening`);
    const up = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (up) return;
    if (Date.now() > deadline) throw new Error(`${what} did not listen on ${port} within 10 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function stop(child: ChildProcess, cleanup: () => void): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      const done = (): void => {
        cleanup();
        resolve();
      };
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once('exit', done);
      child.kill('SIGKILL');
    });
}

function need(program: string, pkg: string): string {
  const found = which(program);
  if (!found) throw new Error(`${program} is missing: apt-get install ${pkg} (scripts/setup.sh installs it)`);
  return found;
}

export async function startRedis(): Promise<TcpServer> {
  const bin = need('redis-server', 'redis-server');
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'sbx-redis-'));
  const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  await waitForPort(port, child, 'redis-server');
  return { port, close: stop(child, () => rmSync(dir, { recursive: true, force: true })) };
}

/** A git daemon exporting `repo.git` (one commit of README), read-only. */
export async function startGitDaemon(): Promise<TcpServer & { repo: string }> {
  const git = need('git', 'git');
  const base = mkdtempSync(path.join(tmpdir(), 'sbx-git-'));
  const work = path.join(base, 'work');
  const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t', HOME: base };
  execFileSync(git, ['init', '-q', '-b', 'main', work], { env });
  writeFileSync(path.join(work, 'README'), 'served by git daemon\n');
  execFileSync(git, ['-C', work, 'add', 'README'], { env });
  execFileSync(git, ['-C', work, 'commit', '-q', '-m', 'one'], { env });
  execFileSync(git, ['clone', '-q', '--bare', work, path.join(base, 'repo.git')], { env });
  chmodSync(base, 0o755);
  const port = await freePort();
  const child = spawn(git, ['daemon', '--reuseaddr', '--export-all', `--base-path=${base}`, '--listen=127.0.0.1', `--port=${port}`, base], {
    stdio: 'ignore', env,
  });
  await waitForPort(port, child, 'git daemon');
  return { port, repo: 'repo.git', close: stop(child, () => rmSync(base, { recursive: true, force: true })) };
}
