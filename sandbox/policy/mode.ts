// Postures and their order: blocked < allowlist < open.
import { SandboxPolicyError } from '../errors';
import type { NetworkMode } from '../types';
import { NETWORK_MODES } from './ceiling';
import { printable } from '../vocabulary';

export const rank = (m: NetworkMode): number => NETWORK_MODES.indexOf(m);

export function checkMode(value: unknown, setting: string, fallback: NetworkMode): NetworkMode {
  if (value === undefined) return fallback;
  if (typeof value === 'string' && (NETWORK_MODES as readonly string[]).includes(value)) return value as NetworkMode;
  throw new SandboxPolicyError(`${setting} '${printable(String(value))}' is unknown: write 'blocked', 'allowlist' or 'open'`, { entry: String(value) });
}
