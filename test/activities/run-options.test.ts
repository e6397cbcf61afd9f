// The activity is the trust boundary: a request's JSON may carry anything, and only the
// ceiling's own fields and the per-call inputs may reach the run.
import { runOptionsFor } from '../../activities/run';
import type { SandboxRunRequest } from '../../common/request';
import { FailureType, NON_RETRYABLE_TYPES, sandboxErrorToFailure } from '../../common/failures';
import { SandboxBackendError, SandboxInputError, SandboxInternalError, SandboxPolicyError, SandboxSessionLost, SandboxSessionsFull } from '../../sandbox/errors';

test('run options a worker owns cannot be set from a request', () => {
  const request = {
    command: ['true'],
    session: {
      networkMode: 'allowlist',
      networkAllowlist: ['pkgs.example.test'],
      maxRecords: 1,
      proxyLimits: { maxConnections: 1e9 },
      inheritEnv: true,
      resolveStatic: { 'evil.test': ['10.0.0.1'] },
      outputLimitBytes: 1 << 30,
      worker: {},
    },
  } as unknown as SandboxRunRequest;
  const options = runOptionsFor(request, { maxNetworkMode: 'allowlist', killGraceMs: 500 });
  expect(options).toMatchObject({ networkMode: 'allowlist', networkAllowlist: ['pkgs.example.test'], inheritEnv: false, killGraceMs: 500 });
  // The worker ceiling and the worker's settings live in its runner, out of any request's reach.
  for (const owned of ['worker', 'maxRecords', 'proxyLimits', 'resolveStatic', 'outputLimitBytes', 'pool', 'ids']) {
    expect((options as Record<string, unknown>)[owned]).toBeUndefined();
  }
});

describe('one list of failure types and their retryability', () => {
  test('every non-retryable type of the list is in NON_RETRYABLE_TYPES, and a core error converts with the same retryability', () => {
    expect([...NON_RETRYABLE_TYPES].sort()).toEqual(
      ['PayloadsTooLarge', 'SandboxBackendError', 'SandboxInputError', 'SandboxNetworkDenied', 'SandboxPolicyError', 'SandboxSessionLost'].sort(),
    );
    const cases: Array<[Error, string, boolean]> = [
      [new SandboxPolicyError('p'), FailureType.policy, true],
      [new SandboxInputError('i'), FailureType.input, true],
      [new SandboxBackendError('bubblewrap', 'b'), FailureType.backend, true],
      [new SandboxSessionLost('s', 'l'), FailureType.sessionLost, true],
      [new SandboxSessionsFull('f'), FailureType.sessionsFull, false],
      [new SandboxInternalError('x'), FailureType.internal, false],
    ];
    for (const [err, type, nonRetryable] of cases) {
      const f = sandboxErrorToFailure(err)!;
      expect({ type: f.type, nonRetryable: f.nonRetryable }).toEqual({ type, nonRetryable });
      expect(NON_RETRYABLE_TYPES.includes(type)).toBe(nonRetryable);
    }
  });

  test('an error keeps the error it explains as its cause', () => {
    const spawnError = Object.assign(new Error('spawn bwrap EACCES'), { code: 'EACCES' });
    const err = new SandboxBackendError('bubblewrap', 'cannot start the bubblewrap sandbox: spawn bwrap EACCES', { cause: spawnError });
    expect(err.cause).toBe(spawnError);
    expect(new SandboxInputError('plain').cause).toBeUndefined();
  });
});
