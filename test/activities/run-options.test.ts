// The activity is the trust boundary: a request's JSON may carry anything, and only the
// ceiling's own fields and the per-call inputs may reach the run.
import { runOptionsFor } from '../../activities/run';
import type { SandboxRunRequest } from '../../common/request';

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
