// The learned allowlist as both `learn` and `audit --suggest-allowlist` print it: the flags on
// one line, then why a name also needs an IP entry, then what no entry would change.
import { allowFlags, neededFromRecords, suggestAllowlist, type Suggestion } from '../sandbox/policy';
import type { AllowedRecord, DeniedRecord } from '../sandbox/types';

export type Learned = Suggestion & { flags: string; notSuggested: DeniedRecord[] };

/** What records teach: the suggestion, and the refusals no allowlist entry would change. */
export function learnedFrom(allowed: readonly Pick<AllowedRecord, 'host' | 'port' | 'address'>[], denied: readonly DeniedRecord[]): Learned {
  const { needed, addresses, notSuggested } = neededFromRecords(allowed, denied);
  const s = suggestAllowlist(needed, addresses);
  return { ...s, flags: allowFlags(s.entries), notSuggested };
}

/** The flags line (or null: nothing was needed), then the notes. */
export function describeLearned(l: Learned): { flags: string | null; notes: string[] } {
  const notes: string[] = [];
  if (l.entries.length === 0) notes.push('nothing was reached: no allowlist is needed (--network blocked)');
  for (const i of l.internal) {
    notes.push(`${i.host} resolved to ${i.address}, an internal address: the allowlist also needs an IP or CIDR entry for it, as you gave with --allow`);
  }
  for (const d of l.notSuggested) notes.push(`not suggested: ${d.message} [${d.reason}, via ${d.proxy}]`);
  return { flags: l.entries.length > 0 ? l.flags : null, notes };
}
