// How a run ended, from what sandbox-init reported and how its backend process ended.
import { constants as osConstants } from 'node:os';
import { SandboxBackendError, SandboxInputError } from '../errors';
import type { LimitName } from '../policy';
import type { Backend, Termination } from '../types';
import type { BoundedOutput } from './output';
import type { ReportedExit } from './sandbox-process';

const SIGNAL_NAMES = new Map<number, string>(
  Object.entries(osConstants.signals).map(([name, num]) => [num as number, name]),
);

export type Exit = { exitCode: number | null; signal: string | null; termination: Termination };

export function interpretExit(
  reported: ReportedExit | null,
  outcome: { code: number | null; signal: NodeJS.Signals | null },
  stopReason: 'timeout' | 'cancelled' | null,
  stderr: BoundedOutput,
  backend: Backend,
): Exit {
  if (reported?.setupError !== undefined) {
    // The command never started: the sandbox could not be made as promised, or its input was wrong.
    const input = /^input: /.exec(reported.setupError);
    if (input) throw new SandboxInputError(reported.setupError.slice(input[0].length));
    throw new SandboxBackendError(backend, `backend ${backend} could not contain the run, so nothing ran: ${reported.setupError}`);
  }
  if (reported) {
    const signal = reported.signal !== undefined ? SIGNAL_NAMES.get(reported.signal) ?? `SIG${reported.signal}` : null;
    const termination: Termination = stopReason ?? (signal ? 'signal' : 'exited');
    return { exitCode: signal ? null : reported.code ?? null, signal, termination };
  }
  // The helper never reported: either we killed the run before it could, or the backend failed
  // to set the sandbox up (its own message is on stderr).
  if (stopReason) return { exitCode: null, signal: outcome.signal ?? 'SIGKILL', termination: stopReason };
  throw new SandboxBackendError(backend, backendFailure(backend, stderr.text(), outcome));
}

function backendFailure(backend: Backend, stderr: string, outcome: { code: number | null; signal: string | null }): string {
  const said = stderr.trim().split('\n').slice(-3).join(' / ') || `exit ${outcome.code ?? outcome.signal}`;
  let hint = '';
  if (/RTM_NEWADDR|Operation not permitted|setting up uid map|No permissions to create new namespace/i.test(said)) {
    hint = ': the kernel refused a namespace (user namespaces disabled, AppArmor restrict_unprivileged_userns, or an unprivileged container); enable them or run the worker where namespaces are allowed';
  }
  return `backend ${backend} could not start the sandbox: ${said}${hint}`;
}

/** A command killed by the signal its limit sends. */
export function limitBySignal(signal: string | null): LimitName | undefined {
  if (signal === 'SIGXFSZ') return 'fileSizeBytes';
  if (signal === 'SIGXCPU') return 'cpuSeconds';
  return undefined;
}
