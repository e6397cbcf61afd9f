// How each backend wraps the helper and the command. Chosen explicitly, never downgraded: a
// backend that cannot start is a SandboxBackendError naming what to install or enable.
import { readFileSync } from 'node:fs';
import { SandboxBackendError } from '../errors';
import type { Backend } from '../types';
import type { HostIdentity } from '../contain/identity';
import type { LandlockRule, ViewOp } from '../contain/view';
import { helperPath } from '../helper-path';
import { which } from './which';

export type Launch = {
  file: string;
  args: string[];
  /** Ids the spawned process takes before exec (bubblewrap needs no launcher for that). */
  ids?: HostIdentity;
  /** True when the command's supervisor is PID 1 of a fresh PID namespace (a child of `file`). */
  pidNamespace: boolean;
};

export type LaunchPlan = {
  backend: Backend;
  /** Fresh network namespace (blocked, allowlist) or the host network (open). */
  isolateNetwork: boolean;
  /** Ports to listen on inside the namespace, handed back to the worker. */
  listen: readonly number[];
  /** Transparent capture and the stub DNS in the run's namespace (isolateNetwork only). */
  capture: boolean;
  /** The fd sandbox-init reads the command from (it arrives after the namespaces are up). */
  specFd: number;
  /** An fd open on the helper itself: the run's user may not be able to reach its path. */
  exeFd: number;
  /** The view (null: backend none, which has none). */
  view: readonly ViewOp[] | null;
  landlock: readonly LandlockRule[];
  /** The command's host uid is 0: PID 1 masks what only root may read (docs/security-model.md). */
  maskRootOnly: boolean;
  /** The launcher becomes this user before the backend starts (a root worker's run). */
  switchTo: HostIdentity | null;
  /** The command's host ids, which its user namespace maps to themselves. */
  hostIds: HostIdentity;
  /** The run's cgroup, joined by the launcher. */
  cgroup: string | null;
};

const usable = new Map<Backend, true>();

/** Checks once per process that the backend can start here. */
export function ensureBackendUsable(backend: Backend): void {
  if (usable.has(backend)) return;
  helperPath(backend);
  if (backend === 'bubblewrap' && !which('bwrap')) {
    throw new SandboxBackendError(backend, 'backend bubblewrap needs the `bwrap` program: apt-get install bubblewrap (or choose --backend userns)');
  }
  if (backend === 'userns') {
    if (!which('unshare')) {
      throw new SandboxBackendError(backend, 'backend userns needs util-linux `unshare`: apt-get install util-linux');
    }
    const problem = userNamespaceProblem();
    if (problem) throw new SandboxBackendError(backend, `backend userns cannot start: ${problem}`);
  }
  usable.set(backend, true);
}

function readSysctl(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

function userNamespaceProblem(): string | null {
  if (readSysctl('/proc/sys/user/max_user_namespaces') === '0') {
    return 'user namespaces are disabled (sysctl user.max_user_namespaces=0): set it above 0';
  }
  const isRoot = process.getuid?.() === 0;
  if (!isRoot && readSysctl('/proc/sys/kernel/unprivileged_userns_clone') === '0') {
    return 'unprivileged user namespaces are disabled: sysctl -w kernel.unprivileged_userns_clone=1';
  }
  if (!isRoot && readSysctl('/proc/sys/kernel/apparmor_restrict_unprivileged_userns') === '1') {
    return 'AppArmor restricts unprivileged user namespaces: sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or give unshare an AppArmor profile that allows userns';
  }
  return null;
}

/** The arguments of `sandbox-init init`, after the view (which only backend userns passes). */
function initArgs(plan: LaunchPlan, extra: string[]): string[] {
  const args = ['init', ...extra];
  for (const port of plan.listen) args.push('--listen', String(port));
  // Under bubblewrap PID 1 mounts the capped tmpfs itself (bwrapView).
  if (plan.backend === 'bubblewrap') {
    for (const o of plan.view ?? []) if (o.op === 'tmpfs' && o.inodes !== null) args.push('--tmpfs-inodes', o.dest, String(o.bytes), String(o.inodes));
  }
  if (plan.maskRootOnly) args.push('--mask-root-only');
  for (const r of plan.landlock) args.push(`--landlock-${r.cls}`, r.path);
  args.push('--spec-fd', String(plan.specFd));
  return args;
}

type TmpfsOp = Extract<ViewOp, { op: 'tmpfs' }>;



/**
 * The view as options: bubblewrap and sandbox-init (native/view.c) take the same operations
 * under the same names, and spell only a tmpfs differently.
 */
function viewArgs(ops: readonly ViewOp[], tmpfs: (o: TmpfsOp) => string[]): string[] {
  return ops.flatMap((o): string[] => {
    switch (o.op) {
      case 'ro-bind':
      case 'bind':
        return [`--${o.op}`, o.src, o.dest];
      case 'symlink':
        return ['--symlink', o.target, o.dest];
      case 'tmpfs':
        return tmpfs(o);
      default:
        return [`--${o.op}`, o.dest];
    }
  });
}

// bubblewrap has no option for a tmpfs's file cap: a capped one is only a directory in its view,
// and PID 1 mounts it (initArgs). sandbox-init's own view mounts it capped at once.
const bwrapView = (ops: readonly ViewOp[]) =>
  viewArgs(ops, (o) => (o.inodes === null ? ['--perms', o.mode.toString(8), '--size', String(o.bytes), '--tmpfs', o.dest] : ['--perms', o.mode.toString(8), '--dir', o.dest]));
const helperView = (ops: readonly ViewOp[]) => viewArgs(ops, (o) => ['--tmpfs', o.dest, String(o.bytes), String(o.mode), String(o.inodes ?? 0)]);

/** The helper as the backend starts it: through the fd the worker opened, whatever its path. */
function selfExec(plan: LaunchPlan): string {
  return `/proc/self/fd/${plan.exeFd}`;
}

/**
 * Wraps the backend in `sandbox-init launch` when something must happen before it starts: joining
 * the cgroup, or the parent-death signal that unshare cannot set. A change of user alone needs no
 * launcher: spawn sets the ids (and drops supplementary groups) before exec, and bubblewrap's
 * --die-with-parent is set after that.
 */
function launched(plan: LaunchPlan, program: string, args: string[], pidNamespace: boolean, always = false): Launch {
  if (!plan.cgroup && !always && !launcherMakesNetns(plan)) return { file: program, args, pidNamespace, ...(plan.switchTo ? { ids: plan.switchTo } : {}) };
  const pre: string[] = [];
  if (plan.cgroup) pre.push('--cgroup', plan.cgroup);
  if (plan.switchTo) pre.push('--uid', String(plan.switchTo.uid), '--gid', String(plan.switchTo.gid));
  if (launcherMakesNetns(plan)) pre.push('--own-netns', '--capture');
  return { file: helperPath(plan.backend), args: ['launch', ...pre, '--', program, ...args], pidNamespace };
}

/**
 * bubblewrap puts the command in a user namespace of its own, beneath the network's owner, so
 * only a network namespace made before bwrap starts can be set up (capture needs capabilities
 * over it) while the command never holds any: the launcher makes it, and bwrap joins it.
 */
function launcherMakesNetns(plan: LaunchPlan): boolean {
  return plan.backend === 'bubblewrap' && plan.isolateNetwork && plan.capture;
}

export function launchFor(plan: LaunchPlan): Launch {
  const view = plan.view ?? [];
  switch (plan.backend) {
    case 'bubblewrap':
      return launched(plan, which('bwrap')!, [
        '--unshare-user', '--unshare-ipc', '--unshare-pid', '--unshare-uts', '--unshare-cgroup-try',
        // The network namespace is the launcher's (launcherMakesNetns) or bwrap's: never none.
        ...(plan.isolateNetwork && !launcherMakesNetns(plan) ? ['--unshare-net'] : []),
        '--hostname', 'sandbox', '--die-with-parent', '--new-session', '--as-pid-1',
        '--cap-drop', 'ALL',
        // To cap the tmpfs inodes (bwrap has no option for it) and mask root's files (host uid
        // 0): capabilities over the run's own namespaces only, which PID 1 drops, every one,
        // before the command starts.
        '--cap-add', 'CAP_SYS_ADMIN', '--cap-add', 'CAP_SETPCAP',
        ...bwrapView(view),
        '--chdir', '/',
        '--', selfExec(plan), ...initArgs(plan, []),
      ], true);
    case 'userns':
      // unshare has no --die-with-parent: the launcher sets PR_SET_PDEATHSIG and execs it, and
      // --kill-child carries the signal on to the namespace's PID 1. --keep-caps lets PID 1 keep
      // the namespace's capabilities (to build the view) though it is not uid 0 inside.
      return launched(plan, which('unshare')!, [
        '--user', `--map-user=${plan.hostIds.uid}`, `--map-group=${plan.hostIds.gid}`, '--keep-caps',
        '--mount', '--ipc', '--uts', '--cgroup', '--pid', '--fork', '--kill-child',
        ...(plan.isolateNetwork ? ['--net'] : []),
        '--', selfExec(plan),
        ...initArgs(plan, [
          ...(plan.isolateNetwork ? ['--lo-up'] : []), ...(plan.capture ? ['--capture'] : []), '--hostname', 'sandbox',
          // unshare's own process stays in the user namespace, and the kernel counts it against
          // RLIMIT_NPROC. Not for a host uid 0: the kernel applies no RLIMIT_NPROC to it at all.
          ...(plan.hostIds.uid !== 0 ? ['--counted-outside', '1'] : []),
          ...helperView(view),
        ]),
      ], true, true);
    case 'none':
      return launched(plan, helperPath(plan.backend), initArgs(plan, ['--no-namespace']), false);
  }
}
