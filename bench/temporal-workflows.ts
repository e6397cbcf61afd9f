// The benchmark's workflows: one sandboxed run (the example's sandboxedCommand), and the same
// shape with a plain activity that spawns the command, to compare against.
import { proxyActivities } from '@temporalio/workflow';

export { sandboxedCommand } from '../examples/workflows';

const { 'bench.spawn': spawnPlain } = proxyActivities<{ 'bench.spawn': (command: string[]) => Promise<number> }>({
  startToCloseTimeout: '1 minute',
});

export async function plainCommand(command: string[]): Promise<number> {
  return spawnPlain(command);
}
