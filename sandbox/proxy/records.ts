// The per-run log of connection records. Bounded so that a chatty command cannot push a
// RunResult towards Temporal's payload limit; what does not fit is counted, not silently lost.

import type { ConnectionRecord } from '../types';

export type RecordSnapshot = {
  allowed: ConnectionRecord[];
  denied: ConnectionRecord[];
  dropped: { allowed: number; denied: number };
};

export class RecordLog {
  private readonly allowed: ConnectionRecord[] = [];
  private readonly denied: ConnectionRecord[] = [];
  private readonly dropped = { allowed: 0, denied: 0 };

  constructor(private readonly maxPerList = 1000) {}

  add(kind: 'allowed' | 'denied', record: ConnectionRecord): void {
    const list = kind === 'allowed' ? this.allowed : this.denied;
    // Keep the first ones: the earliest refusals are usually the ones that explain a failure.
    if (list.length < this.maxPerList) list.push(record);
    else this.dropped[kind]++;
  }

  snapshot(): RecordSnapshot {
    return {
      allowed: this.allowed.slice(),
      denied: this.denied.slice(),
      dropped: { ...this.dropped },
    };
  }
}
