// `temporal-sandbox learn [run options] -- COMMAND` (docs/cli.md, "Learning an allowlist"): the
// command runs once in report mode (allowlist posture, every public destination allowed and
// recorded, the denylist and the internal-address backstop still applied), then the smallest
// allowlist that would have allowed the same run is printed as --allow flags.
import { SandboxInputError } from '../sandbox/errors';
import type { RunResult } from '../sandbox/types';
import { parseRunArgs } from './parse-run';
import { exitStatus, runFromShell } from './run-command';
import { describeLearned, learnedFrom, type Learned } from './suggestion';
import { USAGE } from './usage';

export async function learnCommand(argv: readonly string[]): Promise<number> {
  const dash = argv.indexOf('--');
  const ours = dash === -1 ? argv : argv.slice(0, dash);
  if (ours.some((a) => a === '--network' || a.startsWith('--network='))) {
    throw new SandboxInputError('learn runs in allowlist posture, in report mode: drop --network (its --allow entries are kept, to allow internal addresses explicitly)');
  }
  const parsed = parseRunArgs(['--network', 'allowlist', ...argv]);
  if (parsed.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const result = await runFromShell({ ...parsed.options, report: true }, parsed.json);
  const learned = learnedFrom(result.allowed, result.denied);
  if (parsed.json) process.stdout.write(`${JSON.stringify({ learned, result }, null, 2)}\n`);
  else printLearned(learned, result);
  return exitStatus(result);
}

function printLearned(l: Learned, result: RunResult): void {
  const made = result.allowed.length;
  const { flags, notes } = describeLearned(l);
  process.stderr.write(`temporal-sandbox: learned from ${made} connection${made === 1 ? '' : 's'} (report mode: every public destination was allowed)\n`);
  if (flags) process.stderr.write(`${flags}\n`);
  for (const n of notes) process.stderr.write(`temporal-sandbox: ${n}\n`);
}
