// How fast the stub DNS answers one run's questions (docs/mechanism.md, "The stub DNS"): a token
// bucket. A build's burst of lookups is answered at once; a flood costs the worker, which serves
// every run, no more answers than the sustained rate.
import { performance } from 'node:perf_hooks';

/** Questions answered back to back after a quiet spell: a parallel build's lookups, A and AAAA each. */
export const DNS_BURST = 2000;
/** Questions answered per second once the burst is spent. */
export const DNS_RATE_PER_SECOND = 1000;

export class QueryRate {
  private tokens: number;
  private last: number;

  constructor(
    private readonly burst = DNS_BURST,
    private readonly perSecond = DNS_RATE_PER_SECOND,
    /** Milliseconds, only ever compared: tests give a clock they move by hand. */
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Whether one more question may be answered now; if so, it is counted against the bucket. */
  admit(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.perSecond) / 1000);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
