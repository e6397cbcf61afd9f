// A worker whose process is PID 1 of its own PID namespace and, like a container's init-less
// entrypoint, never reaps what is not its own child. It runs sandboxed commands that a timeout
// ends, then lists every zombie of its namespace: a run that left one would show it here.
import { readdirSync, readFileSync } from 'node:fs';
import { runSandboxed } from '../../sandbox';
import type { Backend } from '../../sandbox';

function zombies(): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [, comm, rest] = /^\d+ \((.*)\) (.*)$/s.exec(stat) ?? [];
      if (rest?.startsWith('Z')) found.push(`${entry} ${comm}`);
    } catch {
      // gone while we looked
    }
  }
  return found;
}

async function main(): Promise<void> {
  const backends = process.argv.slice(2) as Backend[];
  const ends: string[] = [];
  for (const backend of backends) {
    // One that ignores SIGTERM (ended by SIGKILL after the grace), one that SIGTERM ends.
    for (const [name, command] of [['kill', ['sh', '-c', "trap '' TERM; sleep 30"]], ['term', ['sleep', '30']]] as const) {
      const result = await runSandboxed({ backend, timeoutSeconds: 0.3, killGraceMs: 100, command: [...command] });
      ends.push(`${backend}/${name}:${result.termination}`);
    }
  }
  await new Promise((r) => setTimeout(r, 500));
  process.stdout.write(`${JSON.stringify({ pid: process.pid, ends, zombies: zombies() })}\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`zombie-worker: ${err?.stack ?? err}\n`);
    process.exit(1);
  },
);
