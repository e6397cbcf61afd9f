// Small pieces the benchmark shares: medians, a bare spawn to compare against, the peer server
// and a socat relay of the same path.
import { spawn, type ChildProcess } from 'node:child_process';

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A difference in milliseconds with its sign: '+0.51 ms', '-0.02 ms' (a warm run can beat the baseline). */
export function signedMs(ms: number, digits: number): string {
  return `${ms < 0 ? '-' : '+'}${Math.abs(ms).toFixed(digits)} ms`;
}

/** The baseline: spawn the command with piped output, as a run does, and wait for it to close. */
export function spawnBare(command: string[], options: { cwd?: string } = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], cwd: options.cwd });
    child.stdout.resume();
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', () => resolve());
  });
}

export type Peer = { port: number; close(): void };

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c) => {
      out += c;
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`${child.spawnfile} exited ${code} before it was ready`)));
  });
}

export async function startPeerServer(peer: string): Promise<Peer> {
  const child = spawn(process.execPath, [peer, 'server'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = Number(await firstLine(child));
  return { port, close: () => child.kill() };
}

/** socat relaying a loopback port to the peer server: the yardstick for our tunnels. */
export async function startSocat(targetPort: number): Promise<Peer> {
  const net = await import('node:net');
  const port = await new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (probe.address() as import('node:net').AddressInfo).port;
      probe.close(() => resolve(p));
    });
  });
  const child = spawn('socat', [`TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork`, `TCP:127.0.0.1:${targetPort},nodelay`], { stdio: 'ignore' });
  // socat gives no readiness signal: wait until a connection is accepted.
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  return { port, close: () => child.kill() };
}
