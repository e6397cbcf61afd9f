// Removing a directory tree that a command controlled: links are removed, never followed, and a
// directory the command made unwritable (chmod 0) is made writable again first.
import { chmodSync, lstatSync, readdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';

/** Removes `dir` and everything below it; true when it is gone. Never throws. */
export function removeTree(dir: string): boolean {
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
    return true;
  } catch {
    try {
      restoreWrite(dir);
      rmSync(dir, { recursive: true, force: true });
      return true;
    } catch {
      // left for the reaper of the next process that uses the work root (docs/temporal.md, "Sessions")
      return false;
    }
  }
}

function restoreWrite(dir: string): void {
  const st = lstatSync(dir);
  if (!st.isDirectory()) return;
  chmodSync(dir, 0o700);
  for (const name of readdirSync(dir)) restoreWrite(path.join(dir, name));
}
