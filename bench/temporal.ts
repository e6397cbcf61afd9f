// The Temporal figures of docs/benchmarks.md: a workflow with one sandboxed `sandbox.run` activity of
// `true` (blocked) against the same workflow with a plain activity spawning `true`, measured
// side by side (median extra latency per workflow), sandboxed runs per second at concurrency 1
// and 16, and a session's costs. Called from bench/index.ts; runnable alone:
// node dist/bench/temporal.js [--quick]
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { SandboxPlugin } from '../activities';
import { useOrStartServer } from '../fixtures/dev-server';
import { installQuietRuntime } from '../fixtures/quiet-runtime';
import { median, signedMs, spawnBare } from './support';

type Report = (figure: string, value: string, target: string, ok: boolean | null) => void;

const COMMAND = ['true'];
const RUNS_PER_SESSION = 10;

type Start = (type: string, args?: unknown[]) => Promise<unknown>;

/** Interleaved medians of each workflow's duration, in ms. */
async function medians(start: Start, kinds: Record<string, unknown[]>, reps: number): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]));
  for (let i = 0; i < reps + 3; i++) {
    for (const [type, args] of Object.entries(kinds)) {
      const t = process.hrtime.bigint();
      await start(type, args);
      if (i >= 3) samples[type].push(Number(process.hrtime.bigint() - t) / 1e6); // the first are warm-up
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
}

/** A session's cost: its open and close, and a run in it against a stateless run. */
async function sessionFigures(report: Report, start: Start, quick: boolean): Promise<Record<string, unknown>> {
  const runs = { command: COMMAND, runs: RUNS_PER_SESSION };
  const m = await medians(start, { nothing: [], sessionOpenClose: [], sessionRuns: [runs], statelessRuns: [runs] }, quick ? 10 : 40);
  const openClose = m.sessionOpenClose - m.nothing;
  // The session's runs, less its open and close, against the same number of stateless runs.
  const perRun = (m.sessionRuns - m.sessionOpenClose - (m.statelessRuns - m.nothing)) / RUNS_PER_SESSION;
  report('Temporal: open plus close of a session (two activities), over a workflow that schedules nothing', `${openClose.toFixed(1)} ms`, 'measured', null);
  report(
    `Temporal: a run inside an open session against a stateless run (${RUNS_PER_SESSION} of each per workflow)`,
    `${signedMs(perRun, 2)} per run (stateless run ${((m.statelessRuns - m.nothing) / RUNS_PER_SESSION).toFixed(1)} ms)`,
    'within 2 ms',
    Math.abs(perRun) <= 2,
  );
  return { medianMs: m, openCloseMs: openClose, perRunExtraMs: perRun };
}

export async function temporalFigures(report: Report, options: { quick?: boolean } = {}): Promise<Record<string, unknown>> {
  const reps = options.quick ? 30 : 150;
  const throughputRuns = options.quick ? 32 : 160;
  installQuietRuntime();
  const server = await useOrStartServer({ log: (line) => process.stderr.write(`  temporal: ${line}\n`) });
  const native = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  try {
    const client = new Client({ connection, namespace: server.namespace });
    const taskQueue = `sandbox-bench-${process.pid}`;
    const worker = await Worker.create({
      connection: native,
      namespace: server.namespace,
      taskQueue,
      workflowsPath: require.resolve('./temporal-workflows'),
      activities: { 'bench.spawn': async (command: string[]) => (await spawnBare(command), 0) },
      plugins: [new SandboxPlugin()],
    });
    let seq = 0;
    const start = (type: string, args: unknown[] = []) => client.workflow.execute(type, { taskQueue, workflowId: `bench-${type}-${process.pid}-${seq++}`, args });
    const ops = {
      start,
      plain: () => client.workflow.execute('plainCommand', { taskQueue, workflowId: `bench-plain-${process.pid}-${seq++}`, args: [COMMAND] }),
      sandboxed: () =>
        client.workflow.execute('sandboxedCommand', { taskQueue, workflowId: `bench-sandboxed-${process.pid}-${seq++}`, args: [{ command: COMMAND }] }),
    };
    return await worker.runUntil(async () => {
      for (let i = 0; i < 10; i++) for (const op of [ops.plain, ops.sandboxed]) await op(); // warm up (bundle caches, JIT, pool)

      // Interleaved, so that drift on a busy machine hits both alike.
      const samples: Record<'plain' | 'sandboxed', number[]> = { plain: [], sandboxed: [] };
      for (let i = 0; i < reps; i++) {
        for (const name of ['plain', 'sandboxed'] as const) {
          const t = process.hrtime.bigint();
          await ops[name]();
          samples[name].push(Number(process.hrtime.bigint() - t) / 1e6);
        }
      }
      const plainMs = median(samples.plain);
      const sandboxedMs = median(samples.sandboxed);
      const extra = sandboxedMs - plainMs;
      report(
        'Temporal: workflow with one sandboxed run of true (blocked) minus one plain activity spawning true',
        `${signedMs(extra, 2)} (plain ${plainMs.toFixed(1)} ms, sandboxed ${sandboxedMs.toFixed(1)} ms, median of ${reps})`,
        '<= 5 ms',
        extra <= 5,
      );

      const rate = async (op: () => Promise<unknown>, concurrency: number, total: number) => {
        let next = 0;
        const t = process.hrtime.bigint();
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            while (next++ < total) await op();
          }),
        );
        return total / (Number(process.hrtime.bigint() - t) / 1e9);
      };
      const perSecond: Record<string, number> = {};
      for (const concurrency of [1, 16]) {
        const total = concurrency === 1 ? Math.ceil(throughputRuns / 2) : throughputRuns;
        perSecond[`sandboxed@${concurrency}`] = await rate(ops.sandboxed, concurrency, total);
        perSecond[`plain@${concurrency}`] = await rate(ops.plain, concurrency, total);
        report(
          `Temporal: sandboxed runs per second, concurrency ${concurrency}`,
          `${perSecond[`sandboxed@${concurrency}`].toFixed(1)}/s (plain activity ${perSecond[`plain@${concurrency}`].toFixed(1)}/s)`,
          'measured',
          null,
        );
      }
      const sessions = await sessionFigures(report, ops.start, options.quick ?? false);
      return { reps, medianMs: { plain: plainMs, sandboxed: sandboxedMs }, extraMs: extra, runsPerSecond: perSecond, sessions, server: server.owned ? 'dev server (ours)' : server.address };
    });
  } finally {
    await connection.close();
    await native.close();
    await server.stop();
  }
}

if (require.main === module) {
  const rows: string[] = [];
  temporalFigures((figure, value, target, ok) => rows.push(`${figure}: ${value} [target ${target}${ok === null ? '' : ok ? ', met' : ', MISSED'}]`), {
    quick: process.argv.includes('--quick'),
  }).then(
    (figures) => {
      process.stdout.write(`${rows.join('\n')}\n${JSON.stringify(figures, null, 2)}\n`);
      process.exit(0);
    },
    (err) => {
      process.stderr.write(`temporal bench failed: ${err?.stack ?? err}\n`);
      process.exit(1);
    },
  );
}
