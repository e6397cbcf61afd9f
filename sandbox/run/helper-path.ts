import { accessSync, constants, openSync } from 'node:fs';
import * as path from 'node:path';
import { SandboxBackendError } from '../errors';

// dist/sandbox/run/ -> dist/native/sandbox-init, written by `npm run build`.
const HELPER = path.resolve(__dirname, '..', '..', 'native', 'sandbox-init');

let checked = false;
let fd: number | null = null;

/** The path of the in-namespace helper, or a SandboxBackendError that says how to build it. */
export function helperPath(backend: string): string {
  if (!checked) {
    try {
      accessSync(HELPER, constants.X_OK);
    } catch {
      throw new SandboxBackendError(
        backend,
        `the sandbox helper ${HELPER} is missing: run \`npm run build\` (it needs a C compiler: apt-get install gcc)`,
      );
    }
    checked = true;
  }
  return HELPER;
}

/**
 * A descriptor open on the helper, kept for the life of the process. The backend executes the
 * helper through it (/proc/self/fd/N), because the run's own user may not be allowed to reach
 * the helper's path (a checkout under /root, say).
 */
export function helperFd(backend: string): number {
  if (fd === null) fd = openSync(helperPath(backend), 'r');
  return fd;
}
