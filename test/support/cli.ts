// Runs the real command line (bin/temporal-sandbox.js) as a child process.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '..', '..', '..');
export const CLI = path.join(REPO, 'bin', 'temporal-sandbox.js');

export type CliResult = { code: number | null; stdout: string; stderr: string };

let scratch: string | null = null;

/** The CLI's work dir is its current directory: never the checkout, and open to every test user. */
export function scratchDir(): string {
  if (!scratch) {
    const dir = mkdtempSync(path.join(realpathSync(tmpdir()), 'sbx-cli-'));
    chmodSync(dir, 0o1777);
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    scratch = dir;
  }
  return scratch;
}

export function runCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; uid?: number; gid?: number; timeoutMs?: number; cwd?: string; cli?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [options.cli ?? CLI, ...args], {
      cwd: options.cwd ?? scratchDir(),
      env: options.env ?? process.env,
      uid: options.uid,
      gid: options.gid,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export function parseJson(result: CliResult): any {
  try {
    return JSON.parse(result.stdout);
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}):\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
}
