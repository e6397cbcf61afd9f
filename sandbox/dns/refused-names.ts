// The names the stub DNS has refused and already accounted for (docs/mechanism.md, "The stub
// DNS"): one denied record per name while the run's record log has room, and past that one count
// in the log's `dropped`. Both memories are bounded, so a flood of unique names costs nothing.

/**
 * Dropped names remembered, the newest: enough for a resolver's repeats of one name (A, AAAA,
 * retries) to be counted once; at most 1,024 names of 253 bytes, about 0.3 MB.
 */
export const RECENTLY_DROPPED_NAMES = 1024;

export class RefusedNames {
  /** Names whose record the log kept: never more than the log keeps (its maxRecords). */
  private readonly recorded = new Set<string>();
  /** The last names the log counted as dropped: a ring, and a set to look them up. */
  private readonly droppedRing: (string | undefined)[] = new Array(RECENTLY_DROPPED_NAMES);
  private readonly droppedSet = new Set<string>();
  private nextSlot = 0;

  /**
   * Accounts for one refusal of `name`. The first time, `write` records it and says whether the
   * log kept the record; a log that is full counts it as dropped itself, so nothing is counted
   * here. A dropped name that has left the ring is counted again if it is asked again.
   */
  refuse(name: string, write: () => boolean): void {
    if (this.recorded.has(name) || this.droppedSet.has(name)) return;
    if (write()) {
      this.recorded.add(name);
      return;
    }
    const oldest = this.droppedRing[this.nextSlot];
    if (oldest !== undefined) this.droppedSet.delete(oldest);
    this.droppedRing[this.nextSlot] = name;
    this.droppedSet.add(name);
    this.nextSlot = (this.nextSlot + 1) % RECENTLY_DROPPED_NAMES;
  }

  /** How many names are held: what a flood could grow, for tests to see it does not. */
  get size(): { recorded: number; recentlyDropped: number } {
    return { recorded: this.recorded.size, recentlyDropped: this.droppedSet.size };
  }
}
