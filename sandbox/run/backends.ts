// How each backend wraps the helper and the command. Chosen explicitly, never downgraded: a
// backend that cannot start is a SandboxBackendError naming what to install or enable.
import { readFileSync } from 'node:fs';
import { SandboxBackendError } from '../errors';
import type { Backend } from '../types';
import { helperPath } from './helper-path';
import { which } from './which';

export const BACKENDS: readonly Backend[] = ['bubblewrap', 'userns', 'none'];

export type Launch = {
  file: string;
  args: string[];
  /** True when the command's supervisor is PID 1 of a fresh PID namespace (a child of `file`). */
  pidNamespace: boolean;
};

export type LaunchPlan = {
  backend: Backend;
  /** Fresh network namespace (blocked, allowlist) or the host network (open). */
  isolateNetwork: boolean;
  /** Ports to listen on inside the namespace, handed back to the worker. */
  listen: readonly number[];
  /** The fd sandbox-init reads the command from (it arrives after the namespaces are up). */
  specFd: number;
};

export function assertBackend(value: unknown): Backend {
  if (typeof value === 'string' && (BACKENDS as readonly string[]).includes(value)) return value as Backend;
  throw new SandboxBackendError(String(value), `unknown backend '${String(value)}': use one of ${BACKENDS.join(', ')}`);
}

const usable = new Map<Backend, true>();

/** Checks once per process that the backend can start here. */
export function checkBackend(backend: Backend): void {
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

function helperArgs(plan: LaunchPlan, loUp: boolean): string[] {
  const args: string[] = [];
  if (loUp) args.push('--lo-up');
  for (const port of plan.listen) args.push('--listen', String(port));
  args.push('--spec-fd', String(plan.specFd));
  return args;
}

export function launchFor(plan: LaunchPlan): Launch {
  const helper = helperPath(plan.backend);
  switch (plan.backend) {
    case 'bubblewrap':
      return {
        file: which('bwrap')!,
        args: [
          '--dev-bind', '/', '/',
          '--unshare-pid', '--as-pid-1', '--proc', '/proc',
          ...(plan.isolateNetwork ? ['--unshare-net'] : []),
          '--die-with-parent', '--new-session',
          '--', helper, ...helperArgs(plan, false),
        ],
        pidNamespace: true,
      };
    case 'userns':
      // unshare has no --die-with-parent: the helper sets PR_SET_PDEATHSIG and execs it, and
      // --kill-child carries the signal on to the namespace's PID 1.
      return {
        file: helper,
        args: [
          '--exec-with-parent-death', '--',
          which('unshare')!, '--user', '--map-root-user',
          ...(plan.isolateNetwork ? ['--net'] : []),
          '--pid', '--fork', '--kill-child', '--mount-proc',
          '--', helper, ...helperArgs(plan, plan.isolateNetwork),
        ],
        pidNamespace: true,
      };
    case 'none':
      return { file: helper, args: ['--die-with-parent', ...helperArgs(plan, false)], pidNamespace: false };
  }
}
