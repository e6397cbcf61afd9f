// The benchmark's workflows: one sandboxed run (the example's sandboxedCommand), and the same
// shape with a plain activity that spawns the command, to compare against; and sessions: opened
// and closed with nothing in between, and N runs in one session against N stateless runs.
import { proxyActivities } from '@temporalio/workflow';
import { sandboxSession, withSandboxSession } from '../workflows';

export { sandboxedCommand } from '../examples/workflows';

const { 'bench.spawn': spawnPlain } = proxyActivities<{ 'bench.spawn': (command: string[]) => Promise<number> }>({
  startToCloseTimeout: '1 minute',
});

export async function plainCommand(command: string[]): Promise<number> {
  return spawnPlain(command);
}

/** The baseline of a session's open and close: a workflow that schedules nothing. */
export async function nothing(): Promise<void> {}

export async function sessionOpenClose(): Promise<void> {
  await withSandboxSession({}, async () => {});
}

export async function sessionRuns(input: { command: string[]; runs: number }): Promise<void> {
  await withSandboxSession({}, async (s) => {
    for (let i = 0; i < input.runs; i++) await s.run(input.command);
  });
}

export async function statelessRuns(input: { command: string[]; runs: number }): Promise<void> {
  const s = sandboxSession({});
  for (let i = 0; i < input.runs; i++) await s.run(input.command);
}
