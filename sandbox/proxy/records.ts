// The per-run log of connection records. Bounded so that a chatty command cannot push a
// RunResult towards Temporal's payload limit; what does not fit is counted, not silently lost.

import type { AllowedRecord, DeniedRecord } from '../types';

export type RecordSnapshot = {
  allowed: AllowedRecord[];
  denied: DeniedRecord[];
  dropped: { allowed: number; denied: number };
};

export class RecordLog {
  private readonly allowed: AllowedRecord[] = [];
  private readonly denied: DeniedRecord[] = [];
  private readonly dropped = { allowed: 0, denied: 0 };

  constructor(private readonly maxPerList = 1000) {}

  /** Whether the record was kept (false: the list is full and it was counted as dropped). */
  addAllowed(record: AllowedRecord): boolean {
    return this.add(this.allowed, 'allowed', record);
  }

  /** Whether the record was kept (false: the list is full and it was counted as dropped). */
  addDenied(record: DeniedRecord): boolean {
    return this.add(this.denied, 'denied', record);
  }

  snapshot(): RecordSnapshot {
    return {
      allowed: this.allowed.slice(),
      denied: this.denied.slice(),
      dropped: { ...this.dropped },
    };
  }

  private add<T>(list: T[], kind: 'allowed' | 'denied', record: T): boolean {
    // Keep the first ones: the earliest refusals are usually the ones that explain a failure.
    if (list.length < this.maxPerList) {
      list.push(record);
      return true;
    }
    this.dropped[kind]++;
    return false;
  }
}
