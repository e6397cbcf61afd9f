// `temporal-sandbox run [options] -- COMMAND`: one contained run from a shell. The command's
// output passes through; what the proxies refused is summarised on stderr after it ends.
import { constants as osConstants } from 'node:os';
import { formatHostPort } from '../sandbox/policy/authority';
import { policyRefusals } from '../sandbox/refusals';
import { runSandboxed, type RunOptions } from '../sandbox/run/run';
import type { RunResult } from '../sandbox/types';
import { EXIT_TIMEOUT } from './exit';
import { parseRunArgs } from './parse-run';
import { USAGE } from './usage';

/** Throws a SandboxError for bad input (the caller makes it exit 125). */
export async function runCommand(argv: readonly string[]): Promise<number> {
  const parsed = parseRunArgs(argv);
  if (parsed.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const result = await runFromShell(parsed.options, parsed.json);
  warnUnappliedLimits(result);
  const refusedByPolicy = policyRefusals(result.denied).length;
  if (parsed.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else summarize(result);
  const status = exitStatus(result);
  if (parsed.failOnDenied && refusedByPolicy > 0 && status === 0) {
    process.stderr.write(`temporal-sandbox: failing: the sandbox refused ${refusedByPolicy} connection${refusedByPolicy === 1 ? '' : 's'} by policy (--fail-on-denied)\n`);
    return 1;
  }
  return status;
}

/**
 * One run from a shell: SIGINT and SIGTERM cancel it (the whole run ends, nothing is left), and
 * without --json the command's output passes through as it comes.
 */
export async function runFromShell(options: RunOptions, json: boolean): Promise<RunResult> {
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await runSandboxed({
      ...options,
      signal: abort.signal,
      onOutput: json ? undefined : (stream, chunk) => (stream === 'stdout' ? process.stdout : process.stderr).write(chunk),
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** A limit nothing applied (backend none) is said on stderr, whatever the output mode: never silent. */
function warnUnappliedLimits(result: RunResult): void {
  for (const [name, applied] of Object.entries(result.policy.limits)) {
    if (applied.by === 'none') process.stderr.write(`temporal-sandbox: warning: the ${name} limit was not applied: ${applied.note ?? 'nothing enforces it here'}\n`);
  }
}

/** After the command's own output: what the proxies refused, and how the run ended if not by itself. */
function summarize(result: RunResult): void {
  const lines: string[] = [];
  if (result.termination === 'timeout') lines.push(`timed out; the run was ended (${result.signal ?? 'SIGKILL'})`);
  if (result.limit) lines.push(`the run was ended by its ${result.limit} limit`);
  if (result.denied.length > 0) {
    lines.push(`refused ${result.denied.length} connection${result.denied.length === 1 ? '' : 's'}:`);
    for (const d of result.denied) {
      const why = d.message ?? formatHostPort(JSON.stringify(d.host).slice(1, -1), d.port);
      lines.push(`  ${why} [${d.reason}, via ${d.proxy}]`);
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
