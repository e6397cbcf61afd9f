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

  addAllowed(record: AllowedRecord): void {
    this.add(this.allowed, 'allowed', record);
  }

  addDenied(record: DeniedRecord): void {
    this.add(this.denied, 'denied', record);
  }

  snapshot(): RecordSnapshot {
    return {
      allowed: this.allowed.slice(),
      denied: this.denied.slice(),
      dropped: { ...this.dropped },
    };
  }

  private add<T>(list: T[], kind: 'allowed' | 'denied', record: T): void {
    // Keep the first ones: the earliest refusals are usually the ones that explain a failure.
    if (list.length < this.maxPerList) list.push(record);
    else this.dropped[kind]++;
  }
}
