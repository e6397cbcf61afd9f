// The command line (docs/cli.md): `temporal-sandbox run`, `learn`, `audit`, `--version`, `--help`. Each
// subcommand is loaded when it is asked for, so `run` never loads the Temporal client.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { SandboxError } from '../sandbox/errors';
import { EXIT_USAGE } from './exit';
import { USAGE } from './usage';

export async function main(argv: readonly string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return sub === undefined ? EXIT_USAGE : 0;
  }
  if (sub === '--version' || sub === '-V') {
    process.stdout.write(`temporal-sandbox ${version()}\n`);
    return 0;
  }
  try {
    if (sub === 'run') return await (await import('./run-command')).runCommand(rest);
    if (sub === 'learn') return await (await import('./learn-command')).learnCommand(rest);
    if (sub === 'audit') return await (await import('./audit-command')).audit(rest);
    return fail(`unknown command '${sub}': try temporal-sandbox --help`);
  } catch (err) {
    if (err instanceof SandboxError) return fail(err.message);
    throw err;
  }
}

function version(): string {
  // dist/cli/main.js -> package.json at the package's root.
  const pkg = JSON.parse(readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

function fail(message: string): number {
  process.stderr.write(`temporal-sandbox: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  return EXIT_USAGE;
}
