// The policy as a run applied it, for its result: the network part as compiled, plus the view,
// the limits and the kernel backstops as they were on this worker (docs/results.md).
import type { CompiledPolicy } from '../policy';
import type { PreparedSandbox } from './prepare';
import type { ReportedReady } from './sandbox-process';
import type { Backend, EffectivePolicy } from '../types';
import { SYNTHETIC_RANGE } from '../proxy/synthetic-names';
import { appliedLimits } from '../contain/applied-limits';
import { cgroupSupport } from '../contain/cgroup';
import { stubResolverPlace } from '../contain/view';

export function appliedPolicy(
  policy: CompiledPolicy,
  backend: Backend,
  prepared: PreparedSandbox,
  setup: ReportedReady | null,
  capture: { ipv6: boolean } | null,
  limitNotes: { openFiles?: string } = {},
): EffectivePolicy {
  const contained = backend !== 'none';
  const support = cgroupSupport();
  const notes = [...policy.effective.notes];
  if (!contained) {
    notes.push('backend none: no namespace; nothing but the proxy variables stands between the command and the host network, and the command sees the host\'s files with the worker\'s user (development only)');
  }
  const masked = setup?.masked ?? [];
  if (setup && setup.maskedCount > masked.length) masked.push(`... and ${setup.maskedCount - masked.length} more`);
  const landlock = !contained
    ? { abi: null, note: 'backend none: no Landlock' }
    : setup && setup.landlock > 0
      ? { abi: setup.landlock }
      : { abi: null, note: setup?.landlockWhy || 'unknown' };
  const dns = capture && stubResolverPlace() ? ('127.0.0.1:53' as const) : null;
  if (capture) {
    notes.push(`transparent capture: every TCP connection from inside, to any address and port, reaches the same decision as the proxies (proxy variables or not); names resolve through the run's stub DNS on 127.0.0.1:53 to synthetic addresses of ${SYNTHETIC_RANGE}, and a refused name gets NXDOMAIN`);
    if (!capture.ipv6) notes.push('transparent capture is IPv4 only: IPv6 is off in this kernel, so an IPv6 connection has no route at all');
    if (!dns) notes.push('the host has no /etc/resolv.conf, so the view has none either: names do not resolve inside (connections to addresses are still captured and decided)');
  }
  return {
    ...policy.effective,
    capture: capture ? { tcp: 'all', dns, ipv6: capture.ipv6, syntheticRange: SYNTHETIC_RANGE, aaaa: 'nodata' } : null,
    notes,
    filesystem: { ...prepared.view, masked },
    limits: appliedLimits(policy.limits, {
      cgroup: prepared.cgroup ? { pids: prepared.cgroup.pids, memory: prepared.cgroup.memory } : null,
      cgroupWhy: !support.ok || support.version === 1 ? support.reason : 'the run\'s cgroup could not be created',
      hostRoot: prepared.identity.uid === 0,
      contained,
      ...limitNotes,
    }),
    backstops: {
      userNamespace: contained,
      hostUid: prepared.identity.uid,
      hostGid: prepared.identity.gid,
      capabilities: contained ? 'none' : 'unchanged',
      seccomp: contained,
      landlock,
    },
  };
}
