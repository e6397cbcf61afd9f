// The host's file table is shared by everything on it (docs/security-model.md, "Limits"): a run
// at its limits (processes x openFiles descriptors) must hold no more than a small share of it,
// or one run fills it and every other process on the host gets ENFILE. Read once per process.
import { readFileSync } from 'node:fs';
import type { Limits } from '../policy/limits';

/** One run may hold at most this share of /proc/sys/fs/file-max. */
const FILE_TABLE_SHARE = 1 / 8;

let fileMax: number | null | undefined;

function hostFileMax(): number | null {
  if (fileMax !== undefined) return fileMax;
  try {
    const n = Number(readFileSync('/proc/sys/fs/file-max', 'utf8').trim());
    fileMax = Number.isSafeInteger(n) && n > 0 ? n : null;
  } catch {
    fileMax = null;
  }
  return fileMax;
}

/** The limits with openFiles lowered so that the run's worst case fits its share; why, if it was. */
export function fitFileTable(limits: Limits): { limits: Limits; note?: string } {
  const max = hostFileMax();
  if (max === null) return { limits };
  const share = Math.floor(max * FILE_TABLE_SHARE);
  if (limits.processes * limits.openFiles <= share) return { limits };
  const openFiles = Math.max(16, Math.floor(share / limits.processes));
  return {
    limits: { ...limits, openFiles },
    note: `lowered from ${limits.openFiles}: ${limits.processes} processes x ${openFiles} open files stay within 1/8 of this host's file table (file-max ${max})`,
  };
}
