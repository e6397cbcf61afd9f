// The request one run() sends: checked here, in the workflow, with the same pure code the worker
// uses, so a broadening or malformed call fails the workflow before anything is scheduled.
import type { RunCallOptions, SandboxCeiling, SandboxRunRequest } from '../common/request';
import { compilePolicy } from '../sandbox/policy/compile';
import { checkTimeoutSeconds, toArgv } from '../sandbox/vocabulary';

export function buildRequest(
  session: SandboxCeiling,
  command: string | readonly string[],
  perCall: RunCallOptions,
  defaults: { failOnDenied?: boolean } = {},
): SandboxRunRequest {
  const argv = toArgv(command);
  const call = {
    networkMode: perCall.networkMode,
    networkAllowlist: perCall.networkAllowlist,
    readOnlyPaths: perCall.readOnlyPaths,
    readWritePaths: perCall.readWritePaths,
  };
  // A JavaScript caller may pass a denylist per call; compilePolicy refuses it by name.
  const denylist = (perCall as { networkDenylist?: unknown }).networkDenylist;
  compilePolicy(session, denylist === undefined ? call : { ...call, networkDenylist: denylist });
  const timeoutSeconds = checkTimeoutSeconds(perCall.timeoutSeconds);

  const request: SandboxRunRequest = { command: argv, session: { ...session } };
  const narrowed = Object.entries(call).filter(([, v]) => v !== undefined);
  if (narrowed.length > 0) request.call = Object.fromEntries(narrowed.map(([k, v]) => [k, Array.isArray(v) ? [...v] : v]));
  if (perCall.env !== undefined) request.env = { ...perCall.env };
  if (perCall.cwd !== undefined) request.cwd = perCall.cwd;
  if (perCall.stdin !== undefined) request.stdin = perCall.stdin;
  if (timeoutSeconds !== undefined) request.timeoutSeconds = timeoutSeconds;
  if (perCall.allowFailure) request.allowFailure = true;
  if (perCall.failOnDenied ?? defaults.failOnDenied) request.failOnDenied = true;
  return request;
}
