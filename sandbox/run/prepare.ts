// A sandbox prepared before its command is known: its namespaces and view, its host user, its
// work dir and its cgroup (docs/mechanism.md, "Warm sandboxes"). A cold run prepares one and
// uses it at once; the pool prepares them ahead. Either way each serves one run and is released.
import { cgroupSupport, RunCgroup } from '../contain/cgroup';
import { callerIdentity, canSwitchIdentity, defaultIds, type HostIdentity, type IdAllocator } from '../contain/identity';
import { stubResolvConf } from '../contain/resolv-conf';
import { describeView, hostView, landlockRules, viewOps } from '../contain/view';
import { makeFreshWorkdir } from '../contain/workdir';
import { WORKDIR_INSIDE } from '../vocabulary';
import type { Backend, FilesystemView } from '../types';
import { SandboxProcess } from './sandbox-process';

export type Workdir = { host: string; inside: string };

/** What a sandbox is prepared from: everything of a run but its command, env and limits. */
export type SandboxTemplate = {
  backend: Backend;
  isolateNetwork: boolean;
  listen: readonly number[];
  /** Transparent capture and the stub DNS (RunPlan.capture). */
  capture: boolean;
  /** A given work dir, or a fresh empty one for each sandbox. */
  workdir: Workdir | 'fresh';
  readOnlyPaths: readonly string[];
  readWritePaths: readonly string[];
  tmpBytes: number;
  /** 'caller': the worker's own ids; 'fresh': ids of the range for each sandbox (root only). */
  identity: HostIdentity | 'caller' | 'fresh';
};

export function templateKey(t: SandboxTemplate): string {
  return JSON.stringify(t);
}

export type PreparedSandbox = {
  process: SandboxProcess;
  workdir: Workdir;
  identity: HostIdentity;
  cgroup: RunCgroup | null;
  view: FilesystemView;
  /** Frees what the sandbox held (fresh work dir, ids, cgroup); once its processes are gone. */
  release(): void;
};

export function prepareSandbox(t: SandboxTemplate, ids: IdAllocator = defaultIds): PreparedSandbox {
  const contained = t.backend !== 'none';
  const caller = callerIdentity();
  // Backend none contains nothing, so it keeps the caller's ids: another uid would be a pretence.
  const taken = t.identity === 'fresh' && contained && canSwitchIdentity() ? ids.take() : null;
  const identity = taken ?? (typeof t.identity === 'object' ? t.identity : caller);
  const switched = identity.uid !== caller.uid || identity.gid !== caller.gid;
  const releases: Array<() => void> = [];
  if (taken) releases.push(() => ids.release(taken));
  const release = () => {
    for (const r of releases.splice(0).reverse()) r();
  };
  try {
    let workdir: Workdir;
    if (t.workdir === 'fresh') {
      const fresh = makeFreshWorkdir(identity, switched);
      releases.push(() => fresh.remove());
      workdir = { host: fresh.path, inside: contained ? WORKDIR_INSIDE : fresh.path };
    } else {
      workdir = t.workdir;
    }
    const ops = contained
      ? viewOps({
          workdir, readOnly: t.readOnlyPaths, readWrite: t.readWritePaths, tmpBytes: t.tmpBytes,
          ...(t.capture ? { resolvConf: stubResolvConf() } : {}),
        })
      : null;
    const cgroup = makeCgroup(identity);
    if (cgroup) releases.push(() => cgroup.remove());
    const process = new SandboxProcess({
      backend: t.backend,
      isolateNetwork: t.isolateNetwork,
      listen: t.listen,
      capture: t.capture,
      view: ops,
      landlock: ops ? landlockRules(ops) : [],
      maskRootOnly: contained && identity.uid === 0,
      switchTo: switched ? identity : null,
      hostIds: identity,
      cgroup: cgroup?.path ?? null,
    });
    return { process, workdir, identity, cgroup, view: ops ? describeView(ops) : hostView(), release };
  } catch (err) {
    release();
    throw err;
  }
}

function makeCgroup(identity: HostIdentity): RunCgroup | null {
  const support = cgroupSupport();
  if (!support.ok) return null;
  // A v1 pids cgroup only counts processes, which RLIMIT_NPROC does already for any host uid but
  // 0; moving a process into a v1 cgroup costs milliseconds of a cold start.
  if (support.version === 1 && identity.uid !== 0) return null;
  try {
    return new RunCgroup(support);
  } catch {
    return null;
  }
}
