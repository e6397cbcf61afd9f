import { accessSync, constants } from 'node:fs';
import * as path from 'node:path';

const found = new Map<string, string | null>();

/** Finds an executable on PATH once per process (the answer is on every run's hot path). */
export function which(name: string): string | null {
  if (found.has(name)) return found.get(name)!;
  let hit: string | null = null;
  for (const dir of (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':')) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      hit = candidate;
      break;
    } catch {
      // not here
    }
  }
  found.set(name, hit);
  return hit;
}
