// `temporal-sandbox run` arguments (docs/cli.md) -> RunOptions.
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { SandboxInputError, SandboxPolicyError } from '../sandbox/errors';
import { checkMode } from '../sandbox/policy/mode';
import { checkBackend, checkTimeoutSeconds, DEFAULT_BACKEND } from '../sandbox/vocabulary';
import { parseLimitFlag, type Limits } from '../sandbox/policy/limits';
import { parseResolveFlags } from '../sandbox/policy/static-answers';
import type { RunOptions } from '../sandbox/run/options';

export type RunCommand = { options: RunOptions; json: boolean; help: boolean; failOnDenied: boolean };

export function parseRunArgs(argv: readonly string[]): RunCommand {
  const dash = argv.indexOf('--');
  const ours = dash === -1 ? argv : argv.slice(0, dash);
  const command = dash === -1 ? [] : argv.slice(dash + 1);
  let values;
  try {
    ({ values } = parseArgs({
      args: [...ours],
      strict: true,
      allowPositionals: false,
      options: {
        network: { type: 'string' },
        allow: { type: 'string', multiple: true },
        deny: { type: 'string', multiple: true },
        'proxy-url': { type: 'string' },
        'socks-url': { type: 'string' },
        backend: { type: 'string' },
        resolve: { type: 'string', multiple: true },
        timeout: { type: 'string' },
        env: { type: 'string', multiple: true },
        cwd: { type: 'string' },
        workdir: { type: 'string' },
        'read-only': { type: 'string', multiple: true },
        'read-write': { type: 'string', multiple: true },
        limit: { type: 'string', multiple: true },
        json: { type: 'boolean' },
        'fail-on-denied': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    const message = (err as Error).message.split('\n')[0];
    const hint = /positional/i.test(message) ? ': put the command after --' : '';
    throw new SandboxInputError(`${message}${hint} (see temporal-sandbox run --help)`);
  }
  if (values.help) return { options: { command: ['true'] }, json: false, help: true, failOnDenied: false };
  if (command.length === 0) {
    throw new SandboxInputError('no command: write temporal-sandbox run [options] -- COMMAND [ARG...]');
  }
  const env: Record<string, string> = {};
  for (const pair of values.env ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new SandboxInputError(`--env ${JSON.stringify(pair)}: write KEY=VALUE`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  if (values.timeout !== undefined && !/^\d+(\.\d+)?$/.test(values.timeout)) {
    throw new SandboxInputError(`--timeout ${JSON.stringify(values.timeout)}: give a positive number of seconds`);
  }
  const timeoutSeconds = checkTimeoutSeconds(values.timeout === undefined ? undefined : Number(values.timeout), '--timeout');
  const network = checkMode(values.network, '--network', 'blocked');
  // A list the posture cannot use is a mistake (the default posture is blocked), never ignored.
  for (const [flag, list] of [['--allow', values.allow], ['--deny', values.deny]] as const) {
    if (network === 'blocked' && list && list.length > 0) {
      throw new SandboxPolicyError(
        `${flag} has no effect with --network blocked (the default: no network at all): add --network allowlist${flag === '--deny' ? ' or --network open' : ''}`,
        { entry: flag },
      );
    }
  }
  const limits: Partial<Limits> = {};
  for (const flag of values.limit ?? []) {
    const [name, value] = parseLimitFlag(flag);
    limits[name] = value;
  }
  const options: RunOptions = {
    command,
    networkMode: network,
    networkAllowlist: values.allow,
    networkDenylist: values.deny,
    networkProxyUrl: values['proxy-url'],
    networkSocksUrl: values['socks-url'],
    backend: checkBackend(values.backend ?? DEFAULT_BACKEND, '--backend'),
    resolveStatic: parseResolveFlags(values.resolve ?? []),
    timeoutSeconds,
    env,
    cwd: values.cwd,
    // The caller's own directory, with the caller's own uid (docs/security-model.md).
    workdir: path.resolve(values.workdir ?? process.cwd()),
    runAs: 'caller',
    readOnlyPaths: values['read-only'],
    readWritePaths: values['read-write'],
    limits,
    inheritEnv: true,
  };
  return { options, json: values.json ?? false, help: false, failOnDenied: values['fail-on-denied'] ?? false };
}
