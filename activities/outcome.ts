// Turns a finished run into the activity's outcome: the RunResult, or a typed failure whose
// details carry what an operator needs (exit, stderr tail, refused connections, policy).
import { ApplicationFailure } from '@temporalio/common';
import { policyRefusals } from '../sandbox/refusals';
import type { RunResult } from '../sandbox/types';
import { FailureType, type CommandFailureDetails } from '../common/failures';
import { lastLineOf } from './progress';

const STDERR_TAIL_BYTES = 4096;

/** Shell statuses for a command that could not be run: a retry finds it just as missing. */
const NOT_RUN: Readonly<Record<number, string>> = { 126: 'found but not executable', 127: 'not found' };

/**
 * The failure for a run that did not exit 0 (or, with failOnDenied, had any policy refusal), or
 * null when it succeeded.
 */
export function failureFor(result: RunResult, command: string[], o: { failOnDenied: boolean }): ApplicationFailure | null {
  const refused = policyRefusals(result.denied);
  const exitedZero = result.termination === 'exited' && result.exitCode === 0;
  if (exitedZero && !(o.failOnDenied && refused.length > 0)) return null;
  const details: CommandFailureDetails = {
    exitCode: result.exitCode,
    signal: result.signal,
    termination: result.termination,
    stderrTail: tailOf(result.stderr, STDERR_TAIL_BYTES),
    denied: result.denied,
    allowed: result.allowed,
    policy: result.policy,
    command,
    durationMs: result.durationMs,
    backend: result.backend,
  };
  const ended = describeEnd(result) + (exitedZero ? ', but failOnDenied is set' : '');
  const lastLine = lastLineOf(result.stderr);
  if (refused.length > 0) {
    // A retry cannot change a policy: fail at once, with the refusals in the message.
    // Each record's message names its target and says why (decide()'s words).
    const shown = refused.slice(0, 3).map((d) => d.message);
    const more = refused.length > 3 ? `; and ${refused.length - 3} more` : '';
    return ApplicationFailure.create({
      message: `${ended}; the sandbox refused ${refused.length} connection${refused.length === 1 ? '' : 's'}: ${shown.join('; ')}${more}`,
      type: FailureType.networkDenied,
      nonRetryable: true,
      details: [details],
    });
  }
  const notRun = result.termination === 'exited' && result.exitCode !== null ? NOT_RUN[result.exitCode] : undefined;
  return ApplicationFailure.create({
    message: (lastLine ? `${ended}: ${lastLine}` : ended) + (notRun ? ` (the command was ${notRun}: not retried)` : ''),
    type: FailureType.commandFailed,
    nonRetryable: notRun !== undefined,
    details: [details],
  });
}

function describeEnd(result: RunResult): string {
  const limit = result.limit ? ` (its ${result.limit} limit)` : '';
  if (result.termination === 'timeout') return `command timed out after ${Math.round(result.durationMs)} ms and was ended`;
  if (result.signal) return `command was killed by ${result.signal}${limit}`;
  return `command exited with code ${result.exitCode}${limit}`;
}

/** The last `bytes` bytes of text, cut at a character boundary. */
function tailOf(text: string, bytes: number): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= bytes) return text;
  return buf.subarray(buf.length - bytes).toString('utf8').replace(/^\uFFFD+/, '');
}
