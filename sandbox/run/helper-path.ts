import { accessSync, constants } from 'node:fs';
import * as path from 'node:path';
import { SandboxBackendError } from '../errors';

// dist/sandbox/run/ -> dist/native/sandbox-init, written by `npm run build`.
const HELPER = path.resolve(__dirname, '..', '..', 'native', 'sandbox-init');

let checked = false;

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
