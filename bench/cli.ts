// The whole-process CLI figure of docs/benchmarks.md: `temporal-sandbox run -- true`, started
// as a shell starts it, against `node -e 0`, interleaved. What a user waits for at the prompt:
// Node's start-up, our modules, the contained run and the exit.
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { median, spawnBare } from './support';

const BIN = path.join(__dirname, '..', '..', 'bin', 'temporal-sandbox.js');

export type CliFigure = { reps: number; nodeMs: number; cliMs: number; ratio: number };

export async function cliFigure(quick: boolean): Promise<CliFigure> {
  const reps = quick ? 10 : 40;
  // The CLI's work dir is its current directory: an empty one, as a user's project might be.
  const cwd = mkdtempSync(path.join(realpathSync(tmpdir()), 'sbx-bench-cli-'));
  const node = () => spawnBare([process.execPath, '-e', '0']);
  const cli = () => spawnBare([process.execPath, BIN, 'run', '--', 'true'], { cwd });
  const samples = { node: [] as number[], cli: [] as number[] };
  const time = async (op: () => Promise<void>) => {
    const t = process.hrtime.bigint();
    await op();
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  try {
    for (let i = 0; i < 3; i++) { await node(); await cli(); } // warm the page cache
    for (let i = 0; i < reps; i++) {
      samples.node.push(await time(node));
      samples.cli.push(await time(cli));
    }
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
  const nodeMs = median(samples.node);
  const cliMs = median(samples.cli);
  return { reps, nodeMs, cliMs, ratio: cliMs / nodeMs };
}
