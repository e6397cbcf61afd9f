// `npm run bench`: every figure of docs/benchmarks.md measured side by side in one run, as medians,
// printed as a table (and written as JSON with --json FILE). Targets are printed beside them.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createSandboxRunner, runSandboxed, type RunOptions } from '../sandbox';
import { relayProcessId } from '../sandbox/relay/kernel-relay';
import { SessionStore } from '../sandbox/session/store';
import { cliFigure } from './cli';
import { median, signedMs, spawnBare, startPeerServer, startSocat } from './support';
import { temporalFigures } from './temporal';

const PEER = path.join(__dirname, 'peer.js');
const NODE = process.execPath;
const args = process.argv.slice(2);
const jsonFile = args.includes('--json') ? args[args.indexOf('--json') + 1] ?? 'bench-results.json' : null;
const quick = args.includes('--quick');

type Row = { figure: string; value: string; target: string; ok: boolean | null };
const rows: Row[] = [];
const figures: Record<string, unknown> = {};

function report(figure: string, value: string, target: string, ok: boolean | null): void {
  rows.push({ figure, value, target, ok });
  process.stderr.write(`  ${figure}: ${value}\n`);
}

const ALLOW = {
  networkMode: 'allowlist' as const,
  networkAllowlist: ['peer.bench.test', '127.0.0.1/32'],
  resolveStatic: new Map([['peer.bench.test', ['127.0.0.1']]]),
};

/** The CLI's own set-up: the caller's uid, its current directory as the work dir. */
const CLI_LIKE = { runAs: 'caller' as const, workdir: mkdtempSync(path.join(realpathSync(tmpdir()), 'sbx-bench-')) };

async function overhead(): Promise<void> {
  const reps = quick ? 40 : 300;
  const runner = createSandboxRunner({ warm: 1 });
  // A session on the same runner: its runs have their own warm sandbox (its work dir, its uid).
  const sessions = new SessionStore(runner);
  const session = sessions.open({}).sessionId;
  const samples: Record<string, number[]> = { bare: [], coldBlocked: [], coldAllowlist: [], coldWorker: [], warmBlocked: [], warmAllowlist: [], warmSession: [] };
  const ops: Record<string, () => Promise<unknown>> = {
    bare: () => spawnBare(['true']),
    coldBlocked: () => runSandboxed({ command: ['true'], ...CLI_LIKE }),
    coldAllowlist: () => runSandboxed({ command: ['true'], ...ALLOW, ...CLI_LIKE }),
    // A worker with no warm sandbox: a fresh work dir, and under root a host uid of the range.
    coldWorker: () => runSandboxed({ command: ['true'] }),
    warmBlocked: () => runner.run({ command: ['true'] }),
    warmAllowlist: () => runner.run({ command: ['true'], ...ALLOW }),
    warmSession: () => sessions.run(session, { command: ['true'] }),
  };
  try {
    for (let i = 0; i < 10; i++) for (const op of Object.values(ops)) await op(); // warm up
    // Interleaved, so that drift on a busy 2-core machine hits all alike; and every measurement
    // starts with the warm pool settled, so no background start-up lands inside another one.
    for (let i = 0; i < reps; i++) {
      for (const [name, op] of Object.entries(ops)) {
        await runner.settled();
        const t = process.hrtime.bigint();
        await op();
        samples[name].push(Number(process.hrtime.bigint() - t) / 1e6);
      }
    }
  } finally {
    await sessions.closeAll();
    runner.close();
  }
  const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  const extra = (k: string) => m[k] - m.bare;
  figures.overhead = { reps, medianMs: m, extraMs: Object.fromEntries(Object.keys(ops).filter((k) => k !== 'bare').map((k) => [k, extra(k)])) };
  const who = process.getuid?.() === 0 ? 'root' : 'unprivileged';
  report(`per-run overhead, contained, blocked, warm sandbox (worker, ${who})`, `${signedMs(extra('warmBlocked'), 2)} (bare spawn of true ${m.bare.toFixed(2)} ms)`, '<= 2 ms', extra('warmBlocked') <= 2);
  report(`per-run overhead, contained, allowlist, warm sandbox (worker, ${who})`, `${signedMs(extra('warmAllowlist'), 2)}`, '<= 3 ms', extra('warmAllowlist') <= 3);
  report(`per-run overhead, contained, blocked, cold start (CLI path, ${who})`, `${signedMs(extra('coldBlocked'), 2)}`, '<= 4 ms', extra('coldBlocked') <= 4);
  report(`per-run overhead, contained, allowlist, cold start (CLI path, ${who})`, `${signedMs(extra('coldAllowlist'), 2)}`, '<= 6 ms', extra('coldAllowlist') <= 6);
  report(`per-run overhead, contained, blocked, cold start (worker without warm sandboxes, ${who})`, `${signedMs(extra('coldWorker'), 2)}`, 'measured', null);
  const inSession = m.warmSession - m.warmBlocked;
  report(`a run inside an open session against a stateless run, blocked, warm (worker, ${who})`, `${signedMs(inSession, 2)} (session run ${m.warmSession.toFixed(2)} ms)`, 'within 2 ms', Math.abs(inSession) <= 2);
}

/** Runs the peer client inside a sandbox (allowlist), returning its one JSON line. */
async function inSandbox(peerArgs: string[], extra: Partial<RunOptions> = {}): Promise<any> {
  // The peer program is added to the view (read-only): nothing of the checkout is there otherwise.
  const result = await runSandboxed({ command: [NODE, PEER, ...peerArgs], ...ALLOW, runAs: 'caller', readOnlyPaths: [realpathSync(path.dirname(PEER))], timeoutSeconds: 600, ...extra });
  if (result.exitCode !== 0) throw new Error(`peer in sandbox failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

function onHost(peerArgs: string[]): Promise<any> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [PEER, ...peerArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`peer exited ${code}`))));
  });
}

async function throughput(serverPort: number): Promise<void> {
  const bytes = quick ? 256 << 20 : 1 << 30;
  const reps = quick ? 1 : 3;
  const socat = await startSocat(serverPort);
  const gbps = (r: { ms: number; bytes: number }) => {
    if (r.bytes !== bytes) throw new Error(`throughput run moved ${r.bytes} of ${bytes} bytes`);
    return (bytes / (r.ms / 1000)) / 1e9;
  };
  const results: Record<string, number[]> = { direct: [], socat: [], connect: [], socks: [], transparent: [] };
  // CPU seconds the relay spent per GiB: the worker's own (this process), for our three paths.
  const cpu: Record<string, number[]> = { connect: [], socks: [], transparent: [] };
  const relayed = async (via: 'connect' | 'socks' | 'transparent'): Promise<void> => {
    const before = relayCpuSeconds();
    results[via].push(gbps(await inSandbox(['throughput', 'peer.bench.test', String(serverPort), String(bytes), via])));
    cpu[via].push((relayCpuSeconds() - before) / (bytes / 2 ** 30));
  };
  try {
    for (let i = 0; i < reps; i++) {
      results.direct.push(gbps(await onHost(['throughput', '127.0.0.1', String(serverPort), String(bytes), 'direct'])));
      results.socat.push(gbps(await onHost(['throughput', '127.0.0.1', String(socat.port), String(bytes), 'direct'])));
      await relayed('connect');
      await relayed('socks');
      await relayed('transparent');
    }
  } finally {
    socat.close();
  }
  const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)]));
  const c = Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, median(v)]));
  figures.throughput = { bytes, reps, gbytesPerSecond: m, relayCpuSecondsPerGiB: c };
  for (const via of ['connect', 'socks', 'transparent'] as const) {
    const ratio = m[via] / m.direct;
    report(
      `tunnel throughput, ${PATH_NAMES[via]}, ${bytes >> 20} MiB`,
      `${m[via].toFixed(2)} GB/s = ${ratio.toFixed(2)} of direct (${m.direct.toFixed(2)}), ${(m[via] / m.socat).toFixed(2)} of socat (${m.socat.toFixed(2)})`,
      '>= 0.8 of direct, >= 1.5x socat',
      ratio >= 0.8 && m[via] >= 1.5 * m.socat,
    );
  }
  report('relay CPU per GiB moved (the worker and its relay), HTTP CONNECT / SOCKS5 / transparent', `${c.connect.toFixed(2)} / ${c.socks.toFixed(2)} / ${c.transparent.toFixed(2)} CPU s`, 'measured', null);
}

async function latency(serverPort: number): Promise<void> {
  const count = quick ? 50 : 300;
  const direct = await onHost(['latency', '127.0.0.1', String(serverPort), String(count), 'direct']);
  const connect = await inSandbox(['latency', 'peer.bench.test', String(serverPort), String(count), 'connect']);
  const socks = await inSandbox(['latency', 'peer.bench.test', String(serverPort), String(count), 'socks']);
  const transparent = await inSandbox(['latency', 'peer.bench.test', String(serverPort), String(count), 'transparent']);
  const dns = await inSandbox(['dns', 'peer.bench.test', '-', String(count), '-']);
  // The first samples pay for JIT warm-up on both sides: drop a tenth.
  const m = (r: { samplesMs: number[] }) => median(r.samplesMs.slice(Math.floor(count / 10)));
  figures.latency = { count, directMs: m(direct), connectMs: m(connect), socksMs: m(socks), transparentMs: m(transparent), dnsMs: m(dns) };
  for (const [via, r] of [['connect', connect], ['socks', socks], ['transparent', transparent]] as const) {
    const extra = m(r) - m(direct);
    report(`added connect latency (connect + first byte), ${PATH_NAMES[via]}`, `${signedMs(extra, 3)} (direct ${m(direct).toFixed(3)} ms)`, '<= 0.5 ms', extra <= 0.5);
  }
  report('stub DNS answer time (an A lookup from inside, no cache)', `${m(dns).toFixed(3)} ms`, '<= 1 ms', m(dns) <= 1);
}

/** CPU seconds (user + system) of the processes that relay tunnels: this worker, and its kernel relay. */
function relayCpuSeconds(): number {
  const u = process.cpuUsage();
  let relay = 0;
  const pid = relayProcessId();
  if (pid !== null) {
    // /proc/PID/stat: utime and stime are fields 14 and 15, in clock ticks (100 per second here).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    relay = (Number(fields[11]) + Number(fields[12])) / 100;
  }
  return (u.user + u.system) / 1e6 + relay;
}

const PATH_NAMES = { connect: 'HTTP CONNECT', socks: 'SOCKS5', transparent: 'transparent capture' } as const;

async function fanout(serverPort: number): Promise<void> {
  const count = 5000;
  // Past the defaults of one run (2,048 clients per proxy, 1,024 upstreams, 1,024 open files per
  // process), raised as a user would: one process holds them all, so it may have few siblings
  // (processes x open files stays within 1/8 of the host's file table).
  const r = await inSandbox(['fanout', 'peer.bench.test', String(serverPort), String(count), 'connect'], {
    proxyLimits: { maxConnections: 2 * count, maxUpstreams: 2 * count },
    limits: { processes: 16, openFiles: 2 * count + 64 },
  });
  figures.fanout = { count, ...r };
  report(`${count} concurrent CONNECT tunnels in one run`, `${r.ok} ok, ${r.errors} errors in ${r.ms.toFixed(0)} ms`, '0 errors', r.errors === 0 && r.ok === count);
}

async function cli(): Promise<void> {
  const r = await cliFigure(quick);
  figures.cli = r;
  report('whole CLI process, `temporal-sandbox run -- true` against `node -e 0`', `${r.ratio.toFixed(2)}x (${r.cliMs.toFixed(1)} ms against ${r.nodeMs.toFixed(1)} ms)`, '<= 2x', r.ratio <= 2);
}

async function main(): Promise<void> {
  process.stderr.write(`temporal-sandbox bench${quick ? ' (quick)' : ''}: measuring...\n`);
  await overhead();
  await cli();
  const server = await startPeerServer(PEER);
  try {
    await latency(server.port);
    await fanout(server.port);
    await throughput(server.port);
  } finally {
    server.close();
    rmSync(CLI_LIKE.workdir, { recursive: true, force: true });
  }
  figures.temporal = await temporalFigures(report, { quick });
  const width = Math.max(...rows.map((r) => r.figure.length));
  const valueWidth = Math.max(...rows.map((r) => r.value.length));
  const lines = rows.map((r) => `${r.figure.padEnd(width)}  ${r.value.padEnd(valueWidth)}  target ${r.target.padEnd(28)} ${r.ok === null ? '' : r.ok ? 'met' : 'MISSED'}`);
  process.stdout.write(`\n${lines.join('\n')}\n`);
  if (jsonFile) {
    writeFileSync(jsonFile, JSON.stringify({ at: new Date().toISOString(), figures, rows }, null, 2));
    process.stdout.write(`figures written to ${jsonFile}\n`);
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err.stack ?? err}\n`);
  process.exit(1);
});
