// The Temporal CLI's dev server for the tests, the demo and the benchmark: started on free
// loopback ports with a throwaway database, awaited for health with a generous deadline (the
// SDK's own helper allows 5 s, too little for a busy CI machine), and stopped without leaving a
// process or a file behind. With TEMPORAL_ADDRESS set, that server is used instead.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Connection } from '@temporalio/client';

export type TemporalServer = {
  address: string;
  namespace: string;
  /** True when we started it (and stop() ends it). */
  owned: boolean;
  pid: number | null;
  stop(): Promise<void>;
};

export class DevServerError extends Error {}

const REPO = path.resolve(__dirname, '..', '..');
const DEFAULT_DEADLINE_MS = 60_000;

/** The server at TEMPORAL_ADDRESS if set, else a dev server of our own. */
export async function useOrStartServer(options: { log?: (line: string) => void; deadlineMs?: number } = {}): Promise<TemporalServer> {
  const address = process.env.TEMPORAL_ADDRESS;
  const namespace = process.env.TEMPORAL_NAMESPACE || 'default';
  if (address) {
    options.log?.(`using the Temporal server at ${address} (TEMPORAL_ADDRESS), namespace ${namespace}`);
    await waitForHealth(address, namespace, Date.now() + (options.deadlineMs ?? DEFAULT_DEADLINE_MS), null);
    return { address, namespace, owned: false, pid: null, stop: async () => {} };
  }
  return startDevServer(options);
}

/** The path ensure-temporal.sh prints (it may build the CLI once, with progress on stderr). */
export function temporalCli(): string {
  try {
    return execFileSync('bash', [path.join(REPO, 'scripts', 'ensure-temporal.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim();
  } catch {
    throw new DevServerError('no Temporal CLI (scripts/ensure-temporal.sh failed; see above), and TEMPORAL_ADDRESS is not set');
  }
}

export async function startDevServer(options: { cli?: string; log?: (line: string) => void; deadlineMs?: number } = {}): Promise<TemporalServer> {
  const cli = options.cli ?? temporalCli();
  const dir = mkdtempSync(path.join(tmpdir(), 'temporal-sandbox-dev-'));
  const [port, httpPort, metricsPort] = await freePorts(3);
  const address = `127.0.0.1:${port}`;
  const args = [
    'server', 'start-dev', '--headless',
    '--ip', '127.0.0.1', '--port', String(port),
    '--http-port', String(httpPort), '--metrics-port', String(metricsPort),
    '--db-filename', path.join(dir, 'temporal.db'),
    '--log-level', 'error',
    // The history service reads its task queues at most 20 times a second by default: past a
    // short burst, every workflow and activity task then waits ~35 ms to be dispatched, which
    // would swamp what the tests and the benchmark measure.
    ...['transfer', 'timer', 'visibility'].flatMap((q) => ['--dynamic-config-value', `history.${q}ProcessorMaxPollRPS=10000`]),
  ];
  const logFile = path.join(dir, 'server.log');
  const logFd = openSync(logFile, 'a');
  // setpriv --pdeathsig: the server dies with us even if we are killed before stop() runs.
  const setpriv = which('setpriv');
  const child = setpriv
    ? spawn(setpriv, ['--pdeathsig', 'SIGKILL', '--', cli, ...args], { stdio: ['ignore', logFd, logFd] })
    : spawn(cli, args, { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', () => {}); // surfaces as an early exit below

  // Exiting before stop() (Ctrl-C while it starts): the server dies with us, the files go too.
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeDir);

  const stop = async () => {
    process.off('exit', removeDir);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    removeDir();
  };

  options.log?.(`starting the Temporal dev server on ${address} (${cli})`);
  const started = Date.now();
  try {
    await waitForHealth(address, 'default', started + (options.deadlineMs ?? DEFAULT_DEADLINE_MS), child, logFile);
  } catch (err) {
    await stop();
    throw err;
  }
  options.log?.(`Temporal dev server ready in ${Date.now() - started} ms`);
  return { address, namespace: 'default', owned: true, pid: child.pid ?? null, stop };
}

/** Polls until the frontend answers and the namespace exists, or the deadline passes. */
async function waitForHealth(address: string, namespace: string, deadline: number, child: ChildProcess | null, logFile?: string): Promise<void> {
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      throw new DevServerError(`the Temporal dev server exited (${child.exitCode ?? child.signalCode}) before it was ready: ${tail(logFile)}`);
    }
    let connection: Connection | null = null;
    try {
      connection = await Connection.connect({ address, connectTimeout: '2 seconds' });
      await connection.workflowService.describeNamespace({ namespace });
      return;
    } catch (err) {
      last = (err as Error).message.split('\n')[0];
    } finally {
      await connection?.close().catch(() => {});
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new DevServerError(`the Temporal server at ${address} was not ready in time (last: ${last}) ${tail(logFile)}`);
}

function tail(file: string | undefined): string {
  if (!file) return '';
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-5).join(' / ');
  } catch {
    return '';
  }
}

function which(program: string): string | null {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    const candidate = path.join(dir || '.', program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** Ports the kernel reports free now; all held open together so the three differ. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<net.Server>((resolve, reject) => {
      const s = net.createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}
