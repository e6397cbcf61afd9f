// `temporal-sandbox run` arguments (DESIGN section 7) -> RunOptions.
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { SandboxInputError } from '../sandbox/errors';
import type { NetworkMode, Backend } from '../sandbox/types';
import { parseLimitFlag, type Limits } from '../sandbox/policy/limits';
import { parseResolveFlags } from '../sandbox/policy/static-answers';
import type { RunOptions } from '../sandbox/run/options';

export type RunCommand = { options: RunOptions; json: boolean; help: boolean };

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
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    const message = (err as Error).message.split('\n')[0];
    const hint = /positional/i.test(message) ? ': put the command after --' : '';
    throw new SandboxInputError(`${message}${hint} (see temporal-sandbox run --help)`);
  }
  if (values.help) return { options: { command: ['true'] }, json: false, help: true };
  if (command.length === 0) {
    throw new SandboxInputError('no command: write temporal-sandbox run [options] -- COMMAND [ARG...]');
  }
  const env: Record<string, string> = {};
  for (const pair of values.env ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new SandboxInputError(`--env ${JSON.stringify(pair)}: write KEY=VALUE`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  let timeoutSeconds: number | undefined;
  if (values.timeout !== undefined) {
    timeoutSeconds = Number(values.timeout);
    if (!/^\d+(\.\d+)?$/.test(values.timeout) || !(timeoutSeconds > 0)) {
      throw new SandboxInputError(`--timeout ${JSON.stringify(values.timeout)}: give a positive number of seconds`);
    }
  }
  const limits: Partial<Limits> = {};
  for (const flag of values.limit ?? []) {
    const [name, value] = parseLimitFlag(flag);
    limits[name] = value;
  }
  const options: RunOptions = {
    command,
    networkMode: (values.network ?? 'blocked') as NetworkMode,
    networkAllowlist: values.allow,
    networkDenylist: values.deny,
    networkProxyUrl: values['proxy-url'],
    networkSocksUrl: values['socks-url'],
    backend: (values.backend ?? 'bubblewrap') as Backend,
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
  return { options, json: values.json ?? false, help: false };
}
