// The command's host user (docs/security-model.md, "No privilege"). Under a root worker every
// session gets an unprivileged uid and gid of its own from a range, so that a mistake in the view
// still meets ordinary file permissions; otherwise the command keeps the caller's ids.
import { SandboxInputError } from '../errors';

export type HostIdentity = { uid: number; gid: number };
export type IdRange = { first: number; count: number };

/** Far above login users, systemd's dynamic users and the usual subuid ranges (100000+). */
const DEFAULT_ID_RANGE: Readonly<IdRange> = Object.freeze({ first: 1_000_000_000, count: 65_536 });

export function callerIdentity(): HostIdentity {
  return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
}

/** Only root may give the command other ids than its own. */
export function canSwitchIdentity(): boolean {
  return process.getuid?.() === 0;
}

/** Hands out ids of the range, each to one holder at a time. */
export class IdAllocator {
  private readonly inUse = new Set<number>();

  constructor(readonly range: IdRange = DEFAULT_ID_RANGE) {
    const { first, count } = range;
    if (!Number.isSafeInteger(first) || !Number.isSafeInteger(count) || first < 1000 || count < 1 || first + count > 0xffff_fffe) {
      throw new SandboxInputError(`uid range ${first}+${count} is not usable: give { first >= 1000, count >= 1 } below 4294967294`);
    }
  }

  /** A free id, chosen at random so that two workers on one host rarely pick the same one. */
  take(): HostIdentity {
    const { first, count } = this.range;
    if (this.inUse.size >= count) throw new SandboxInputError(`every id of the range ${first}+${count} is in use: widen the range`);
    let id = first + Math.floor(Math.random() * count);
    while (this.inUse.has(id)) id = first + ((id - first + 1) % count);
    this.inUse.add(id);
    return { uid: id, gid: id };
  }

  release(identity: HostIdentity): void {
    this.inUse.delete(identity.uid);
  }
}

export const defaultIds = new IdAllocator();
