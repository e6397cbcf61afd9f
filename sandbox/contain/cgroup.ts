// cgroup v2 for the limits rlimits cannot express (memory) and a kernel count of processes
// (docs/security-model.md, "Limits"). Used where the worker's cgroup delegates those controllers
// to it; elsewhere the run says plainly that memory is not limited.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

const ROOT = '/sys/fs/cgroup';

export type CgroupSupport = { ok: true; parent: string } | { ok: false; reason: string };

let support: CgroupSupport | null = null;

/** Where run cgroups may be made: $TEMPORAL_SANDBOX_CGROUP, or the worker's own cgroup. */
export function cgroupSupport(): CgroupSupport {
  if (support) return support;
  return (support = probe());
}

function probe(): CgroupSupport {
  if (!existsSync(path.join(ROOT, 'cgroup.controllers'))) {
    return { ok: false, reason: 'this host has no cgroup v2 hierarchy (cgroup v1)' };
  }
  let parent = process.env.TEMPORAL_SANDBOX_CGROUP;
  if (!parent) {
    const own = /^0::(.*)$/m.exec(readText('/proc/self/cgroup') ?? '')?.[1];
    if (own === undefined) return { ok: false, reason: "the worker's cgroup v2 path is unknown" };
    parent = path.join(ROOT, own);
  }
  const delegated = (readText(path.join(parent, 'cgroup.subtree_control')) ?? '').split(/\s+/);
  if (!delegated.includes('memory')) {
    return {
      ok: false,
      reason: `${parent} does not delegate the memory controller (cgroup.subtree_control lacks memory): set TEMPORAL_SANDBOX_CGROUP to a cgroup that does`,
    };
  }
  try {
    const test = path.join(parent, `temporal-sandbox-probe-${process.pid}`);
    mkdirSync(test);
    rmdirSync(test);
  } catch (err) {
    return { ok: false, reason: `cannot create a cgroup under ${parent} (${(err as NodeJS.ErrnoException).code})` };
  }
  return { ok: true, parent };
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** One run's cgroup: the launcher moves the run into it before any namespace exists. */
export class RunCgroup {
  readonly path: string;
  readonly pids: boolean;

  constructor(parent: string) {
    this.path = path.join(parent, `temporal-sandbox-${randomBytes(6).toString('hex')}`);
    mkdirSync(this.path);
    this.pids = (readText(path.join(parent, 'cgroup.subtree_control')) ?? '').split(/\s+/).includes('pids');
  }

  /** Memory without swap (a limit that swaps is no limit), and processes where pids is delegated. */
  apply(memoryBytes: number, processes: number): void {
    writeFileSync(path.join(this.path, 'memory.max'), String(memoryBytes));
    if (existsSync(path.join(this.path, 'memory.swap.max'))) writeFileSync(path.join(this.path, 'memory.swap.max'), '0');
    if (this.pids) writeFileSync(path.join(this.path, 'pids.max'), String(processes));
  }

  /** Did the kernel kill a process of the run for memory, or refuse it a process? */
  limitHit(): 'memoryBytes' | 'processes' | null {
    const mem = /^oom_kill (\d+)$/m.exec(readText(path.join(this.path, 'memory.events')) ?? '');
    if (mem && Number(mem[1]) > 0) return 'memoryBytes';
    const pids = /^max (\d+)$/m.exec(readText(path.join(this.path, 'pids.events')) ?? '');
    if (pids && Number(pids[1]) > 0) return 'processes';
    return null;
  }

  /** Once the run's processes are gone; a cgroup with processes left cannot be removed. */
  remove(): void {
    try {
      rmdirSync(this.path);
    } catch {
      // a process not yet reaped: the next start's reaper removes it
    }
  }
}
