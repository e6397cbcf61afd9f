// A cgroup of the run's own, for the limits rlimits cannot express (docs/security-model.md,
// "Limits"): cgroup v2 (memory, and processes where pids is delegated) where the worker's cgroup
// delegates those controllers to it; otherwise, on a cgroup v1 host, the v1 pids controller,
// which counts every process of the run, host uid 0's too (the kernel exempts uid 0 from
// RLIMIT_NPROC). Memory then falls back to RLIMIT_DATA, per process, and the result says so.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

const ROOT = '/sys/fs/cgroup';
/** Processes of a run's cgroup outside its PID namespace: the backend's own (bwrap, unshare). */
const BACKEND_PROCESSES = 1;

export type CgroupSupport =
  | { ok: true; parent: string; version: 2 }
  /** cgroup v1's pids hierarchy only: processes are counted, memory is not (`reason` says why). */
  | { ok: true; parent: string; version: 1; reason: string }
  | { ok: false; reason: string };

let support: CgroupSupport | null = null;

/** Where run cgroups may be made: $TEMPORAL_SANDBOX_CGROUP, or the worker's own cgroup. */
export function cgroupSupport(): CgroupSupport {
  if (support) return support;
  return (support = probe());
}

function probe(): CgroupSupport {
  if (!existsSync(path.join(ROOT, 'cgroup.controllers'))) return probePidsV1('this host has no cgroup v2 hierarchy (cgroup v1)');
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
  const refused = cannotMakeUnder(parent);
  if (refused) return { ok: false, reason: `cannot create a cgroup under ${parent} (${refused})` };
  return { ok: true, parent, version: 2 };
}

/** cgroup v1: a run cgroup in the pids hierarchy, beside the worker's own, where we may make one. */
function probePidsV1(why: string): CgroupSupport {
  const own = /^\d+:pids:(.*)$/m.exec(readText('/proc/self/cgroup') ?? '')?.[1];
  if (own === undefined) return { ok: false, reason: `${why}, and no cgroup v1 pids controller` };
  const parent = path.join(ROOT, 'pids', own);
  const refused = cannotMakeUnder(parent);
  if (refused) return { ok: false, reason: `${why}, and a pids cgroup cannot be made under ${parent} (${refused})` };
  return { ok: true, parent, version: 1, reason: why };
}

/** Makes and removes a cgroup under `parent`: null when that works, else the errno code. */
function cannotMakeUnder(parent: string): string | null {
  try {
    const test = path.join(parent, `temporal-sandbox-probe-${process.pid}`);
    mkdirSync(test);
    rmdirSync(test);
    return null;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? 'error';
  }
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
  readonly memory: boolean;

  constructor(support: Extract<CgroupSupport, { ok: true }>) {
    this.path = path.join(support.parent, `temporal-sandbox-${randomBytes(6).toString('hex')}`);
    mkdirSync(this.path);
    this.memory = support.version === 2;
    this.pids = support.version === 1 || (readText(path.join(support.parent, 'cgroup.subtree_control')) ?? '').split(/\s+/).includes('pids');
  }

  /** Memory without swap (a limit that swaps is no limit), and processes where pids is there. */
  apply(memoryBytes: number, processes: number): void {
    if (this.memory) {
      writeFileSync(path.join(this.path, 'memory.max'), String(memoryBytes));
      if (existsSync(path.join(this.path, 'memory.swap.max'))) writeFileSync(path.join(this.path, 'memory.swap.max'), '0');
    }
    // The limit counts the run's tasks, PID 1 included; the cgroup also holds bubblewrap's or
    // unshare's own process, outside the run's PID namespace.
    if (this.pids) writeFileSync(path.join(this.path, 'pids.max'), String(processes + BACKEND_PROCESSES));
  }

  /** The run holds as many processes as pids.max allows (it cannot make progress by forking). */
  atProcessLimit(): boolean {
    if (!this.pids) return false;
    const current = Number(readText(path.join(this.path, 'pids.current')));
    const max = Number(readText(path.join(this.path, 'pids.max')));
    return Number.isFinite(current) && Number.isFinite(max) && current >= max;
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
