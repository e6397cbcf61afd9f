// The Temporal figures of docs/benchmarks.md: a workflow with one sandboxed `sandbox.run` activity of
// `true` (blocked) against the same workflow with a plain activity spawning `true`, measured
// side by side (median extra latency per workflow), and sandboxed runs per second at
// concurrency 1 and 16. Called from bench/index.ts; runnable alone: node dist/bench/temporal.js
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { SandboxPlugin } from '../activities';
import { useOrStartServer } from '../fixtures/dev-server';
import { installQuietRuntime } from '../fixtures/quiet-runtime';
import { median, signedMs, spawnBare } from './support';

type Report = (figure: string, value: string, target: string, ok: boolean | null) => void;

const COMMAND = ['true'];

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
    const ops = {
      plain: () => client.workflow.execute('plainCommand', { taskQueue, workflowId: `bench-plain-${process.pid}-${seq++}`, args: [COMMAND] }),
      sandboxed: () =>
        client.workflow.execute('sandboxedCommand', { taskQueue, workflowId: `bench-sandboxed-${process.pid}-${seq++}`, args: [{ command: COMMAND }] }),
    };
    return await worker.runUntil(async () => {
      for (let i = 0; i < 10; i++) for (const op of Object.values(ops)) await op(); // warm up (bundle caches, JIT, pool)

      // Interleaved, so that drift on a busy machine hits both alike.
      const samples: Record<keyof typeof ops, number[]> = { plain: [], sandboxed: [] };
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
      return { reps, medianMs: { plain: plainMs, sandboxed: sandboxedMs }, extraMs: extra, runsPerSecond: perSecond, server: server.owned ? 'dev server (ours)' : server.address };
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
