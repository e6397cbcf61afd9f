// The command line: `temporal-sandbox run ...` (DESIGN section 7).
import { constants as osConstants } from 'node:os';
import { SandboxError } from '../sandbox/errors';
import { runSandboxed } from '../sandbox/run/run';
import type { RunResult } from '../sandbox/types';
import { audit } from './audit';
import { parseRunArgs } from './parse-run';
import { USAGE } from './usage';

export const EXIT_USAGE = 125;
export const EXIT_TIMEOUT = 124;

export async function main(argv: readonly string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return sub === undefined ? EXIT_USAGE : 0;
  }
  if (sub === 'audit') return audit(rest);
  if (sub !== 'run') return fail(`unknown command '${sub}': try temporal-sandbox run --help`);
  try {
    const parsed = parseRunArgs(rest);
    if (parsed.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const abort = new AbortController();
    const onSignal = () => abort.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const result = await runSandboxed({
        ...parsed.options,
        signal: abort.signal,
        onOutput: parsed.json ? undefined : (stream, chunk) => (stream === 'stdout' ? process.stdout : process.stderr).write(chunk),
      });
      if (parsed.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else summarize(result);
      return exitStatus(result);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  } catch (err) {
    if (err instanceof SandboxError) return fail(err.message);
    throw err;
  }
}

function fail(message: string): number {
  process.stderr.write(`temporal-sandbox: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  return EXIT_USAGE;
}

/** After the command's own output: what the proxies refused, and how the run ended if not by itself. */
function summarize(result: RunResult): void {
  const lines: string[] = [];
  if (result.termination === 'timeout') lines.push(`timed out; the run was ended (${result.signal ?? 'SIGKILL'})`);
  if (result.denied.length > 0) {
    lines.push(`refused ${result.denied.length} connection${result.denied.length === 1 ? '' : 's'}:`);
    for (const d of result.denied) {
      const rule = d.rule ? ` (rule ${d.rule})` : '';
      const address = d.address && d.address !== d.host ? ` [${d.address}]` : '';
      lines.push(`  ${JSON.stringify(d.host).slice(1, -1)}:${d.port}${address} ${d.reason}${rule} via ${d.proxy}`);
    }
  }
  if (result.recordsDropped.denied > 0) lines.push(`  ... and ${result.recordsDropped.denied} more`);
  for (const line of lines) process.stderr.write(`temporal-sandbox: ${line}\n`);
}

export function exitStatus(result: RunResult): number {
  if (result.termination === 'timeout') return EXIT_TIMEOUT;
  if (result.exitCode !== null) return result.exitCode;
  const signals = osConstants.signals as Record<string, number>;
  return 128 + (result.signal ? signals[result.signal] ?? 9 : 9);
}
