// Which refusals are the policy's own: a retry cannot change them, and failOnDenied counts them.
// resolve-failed, upstream-failed and over-limit are not: a flaky mirror or a busy run may pass
// next time (docs/policy.md, "The decision"). Pure: the workflow bundle may load this file.
import type { DeniedRecord, RefusalReason } from './types';

/** Reasons that come from the policy itself (a retry cannot change them). */
export const POLICY_REFUSALS: readonly RefusalReason[] = [
  'denylisted',
  'not-allowlisted',
  'internal-address',
  'malformed',
  'unsupported',
];

export function policyRefusals(denied: readonly DeniedRecord[]): DeniedRecord[] {
  return denied.filter((d) => POLICY_REFUSALS.includes(d.reason));
}
