// Turns a finished run into the activity's outcome: the RunResult, or a typed failure whose
// details carry what an operator needs (exit, stderr tail, refused connections, policy).
import { ApplicationFailure } from '@temporalio/common';
import { POLICY_REFUSALS, type RunResult } from '../sandbox/types';
import { FailureType } from '../common/failures';
import type { CommandFailureDetails } from '../common/request';

const STDERR_TAIL_BYTES = 4096;

/** The failure for a run that did not exit 0, or null when it succeeded. */
export function failureFor(result: RunResult, command: string[]): ApplicationFailure | null {
  if (result.termination === 'exited' && result.exitCode === 0) return null;
  const refused = result.denied.filter((d) => d.reason !== undefined && POLICY_REFUSALS.includes(d.reason));
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
  const ended = describeEnd(result);
  const lastLine = result.stderr.trim().split('\n').pop()?.slice(0, 200) ?? '';
  if (refused.length > 0) {
    // A retry cannot change a policy: fail at once, with the refusals in the message.
    const shown = refused.slice(0, 3).map((d) => `${d.host}:${d.port} (${d.reason}${d.rule ? `, rule ${d.rule}` : ''})`);
    const more = refused.length > 3 ? ` and ${refused.length - 3} more` : '';
    return ApplicationFailure.create({
      message: `${ended}; the sandbox refused ${refused.length} connection${refused.length === 1 ? '' : 's'}: ${shown.join(', ')}${more}`,
      type: FailureType.networkDenied,
      nonRetryable: true,
      details: [details],
    });
  }
  return ApplicationFailure.create({
    message: lastLine ? `${ended}: ${lastLine}` : ended,
    type: FailureType.commandFailed,
    nonRetryable: false,
    details: [details],
  });
}

function describeEnd(result: RunResult): string {
  if (result.termination === 'timeout') return `command timed out after ${Math.round(result.durationMs)} ms and was ended`;
  if (result.signal) return `command was killed by ${result.signal}`;
  return `command exited with code ${result.exitCode}`;
}

/** The last `bytes` bytes of text, cut at a character boundary. */
function tailOf(text: string, bytes: number): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= bytes) return text;
  return buf.subarray(buf.length - bytes).toString('utf8').replace(/^\uFFFD+/, '');
}
