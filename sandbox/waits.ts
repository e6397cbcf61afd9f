// What this process is waiting for, by name (docs/mechanism.md, "A run always ends"). A wait that
// can never end is a bug, and the first thing anyone needs then is which wait it was: the CLI
// names them when its event loop empties before it has a result, and a run names the one that
// overran its bound.

const pending = new Map<symbol, string>();

/** Awaits `p`, named as `what` while it is pending. */
export async function waitingFor<T>(what: string, p: Promise<T>): Promise<T> {
  const key = Symbol(what);
  pending.set(key, what);
  try {
    return await p;
  } finally {
    pending.delete(key);
  }
}

/** The waits pending now, oldest first. */
export function pendingWaits(): string[] {
  return [...pending.values()];
}
