// A worker of the tests' own, in a process of its own: calls runSandboxed() as whichever user
// started it (root: each run gets an id of the range; nobody: its own) and prints the outcomes
// as JSON. argv[2] is a WorkerSpec (harness.ts).
import { spawnSync } from 'node:child_process';
import { runSandboxed, type RunOptions } from '../../sandbox';
import type { WorkerJob, WorkerOutcome, WorkerSpec } from './harness';

async function one(job: WorkerJob): Promise<WorkerOutcome> {
  const started = Date.now();
  const { resolveStatic, ...rest } = job;
  const options: RunOptions = { ...rest, ...(resolveStatic ? { resolveStatic: new Map(Object.entries(resolveStatic)) } : {}) };
  try {
    return { result: await runSandboxed(options), ms: Date.now() - started };
  } catch (err) {
    const e = err as Error & { type?: string };
    return { error: { name: e.name, type: e.type, message: e.message }, ms: Date.now() - started };
  }
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2]) as WorkerSpec;
  if (spec.controlFd !== undefined) {
    // The positive control: a plain child of this process does get the stray descriptor.
    spawnSync('/bin/bash', ['-c', `echo control >&${spec.controlFd}`], { stdio: 'ignore' }); // dash takes one-digit fds only
  }
  const out: WorkerOutcome[] = [];
  if (spec.parallel) out.push(...(await Promise.all(spec.runs.map(one))));
  else for (const job of spec.runs) out.push(await one(job));
  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exitCode = 1;
});
