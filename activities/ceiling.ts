// The worker ceiling (DESIGN 2): what this worker's operator allows at most. The worker is the
// trust boundary, so every request is checked against it again, whatever the workflow checked.
import { SandboxPolicyError } from '../sandbox/errors';
import { compilePolicy, type CompiledPolicy, type WorkerCeiling } from '../sandbox/policy';
import type { Backend } from '../sandbox/types';
import type { SandboxRunRequest } from '../common/request';

export type SandboxWorkerCeiling = WorkerCeiling & {
  /** Backends a session may choose; default ['bubblewrap', 'userns'] ('none' is for development). */
  backends?: readonly Backend[];
};

export const DEFAULT_BACKENDS: readonly Backend[] = ['bubblewrap', 'userns'];
const ALL_BACKENDS: readonly Backend[] = ['bubblewrap', 'userns', 'none'];

/** Checks the ceiling itself, so a worker with a malformed one refuses to start. */
export function validateWorkerCeiling(ceiling: SandboxWorkerCeiling): void {
  for (const b of ceiling.backends ?? DEFAULT_BACKENDS) {
    if (!ALL_BACKENDS.includes(b)) {
      throw new SandboxPolicyError(`worker backends entry '${String(b)}' is unknown: write one of ${ALL_BACKENDS.join(', ')}`, { entry: String(b) });
    }
  }
  compilePolicy({}, undefined, workerPart(ceiling));
}

/** The request's effective policy under the worker ceiling; throws SandboxPolicyError. */
export function checkRequest(request: SandboxRunRequest, ceiling: SandboxWorkerCeiling): CompiledPolicy {
  const backend = request.session?.backend ?? 'bubblewrap';
  const allowed = ceiling.backends ?? DEFAULT_BACKENDS;
  if (!allowed.includes(backend)) {
    throw new SandboxPolicyError(
      `backend '${String(backend)}' is not allowed by the worker ceiling (allowed: ${allowed.join(', ') || 'none'}): choose one of those`,
      { entry: String(backend), ceiling: 'worker backends' },
    );
  }
  return compilePolicy(request.session ?? {}, request.call, workerPart(ceiling));
}

/** The part the core's compilePolicy checks (backends are checked here). */
export function workerPart(ceiling: SandboxWorkerCeiling): WorkerCeiling {
  const { maxNetworkMode, networkAllowlist, networkDenylist, allowProxyUrls, limits } = ceiling;
  // A worker allows no extra host paths unless its operator lists them.
  return { maxNetworkMode, networkAllowlist, networkDenylist, allowProxyUrls, allowedPaths: ceiling.allowedPaths ?? [], limits };
}
