// The view's /etc/resolv.conf under transparent capture (docs/mechanism.md, "Transparent
// capture"): it names the run's stub DNS and nothing else. One file per host user, the same for
// every run, bound read-only into the view.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { workRoot } from './work-root';

const STUB_RESOLV_CONF = 'nameserver 127.0.0.1\noptions attempts:1 timeout:2\n';

let made: string | null = null;

/** The file's host path, written once per process (atomically: a run never reads half of it). */
export function stubResolvConf(): string {
  if (made) return made;
  const file = path.join(workRoot(), 'resolv.conf');
  let current: string | null = null;
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    // not there yet
  }
  if (current !== STUB_RESOLV_CONF) {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, STUB_RESOLV_CONF, { mode: 0o644 });
    renameSync(tmp, file);
  }
  return (made = file);
}
