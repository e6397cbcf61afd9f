import { accessSync, constants, openSync } from 'node:fs';
import * as path from 'node:path';
import { SandboxBackendError } from './errors';

/** The machines the package ships a static helper for, as process.arch names them. */
const PREBUILT_ARCHES: readonly string[] = ['x64', 'arm64'];

/** Where a package laid out at `root` has its helpers. */
export function helperLocations(root: string, platform: string, arch: string): { built: string; prebuilt: string | null } {
  return {
    // Built on this machine: by `npm run build` in the repository, or by hand (the message below).
    built: path.join(root, 'dist', 'native', 'sandbox-init'),
    prebuilt: platform === 'linux' && PREBUILT_ARCHES.includes(arch) ? path.join(root, 'dist', 'native', `linux-${arch}`, 'sandbox-init') : null,
  };
}

/** The helper to run: one built here wins over the prebuilt one; a message for the consumer when neither is there. */
export function findHelper(root: string, platform: string, arch: string): { file: string } | { error: string } {
  const { built, prebuilt } = helperLocations(root, platform, arch);
  for (const file of [built, prebuilt]) {
    if (file !== null && executable(file)) return { file };
  }
  const build = `cc -O2 -static -o ${built} ${path.join(root, 'native')}/*.c`;
  if (prebuilt === null) {
    return { error: `temporal-sandbox ships sandbox-init for linux ${PREBUILT_ARCHES.join(' and ')}; for ${platform} ${arch}, build it with: ${build}` };
  }
  return { error: `the sandbox helper ${prebuilt} is missing or not executable: reinstall temporal-sandbox, or build it with: ${build}` };
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

// dist/sandbox/run/ -> the package's root.
const ROOT = path.resolve(__dirname, '..', '..'); // dist/sandbox -> the package

let found: string | null = null;
let fd: number | null = null;

/** The path of the in-namespace helper, or a SandboxBackendError that says how to get one. */
export function helperPath(backend: string): string {
  if (found === null) {
    const helper = findHelper(ROOT, process.platform, process.arch);
    if ('error' in helper) throw new SandboxBackendError(backend, helper.error);
    found = helper.file;
  }
  return found;
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
