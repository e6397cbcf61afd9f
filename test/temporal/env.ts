// Names shared by the Temporal tests' global setup and the tests themselves.
import * as path from 'node:path';

/** The compiled test workflows (the examples, and test/temporal/workflows.ts's own). */
export const WORKFLOWS_PATH = path.resolve(__dirname, 'workflows.js');
/** process.env key of the prebuilt workflow bundle's path. */
export const BUNDLE_ENV = 'TEMPORAL_SANDBOX_TEST_BUNDLE';
/** The repository root (dist/test/temporal -> ../../..). */
export const REPO = path.resolve(__dirname, '..', '..', '..');
/** Names the proxies resolve statically to loopback: no test traffic leaves this machine. */
export const PKG_HOST = 'pkgs.example.test';
export const EVIL_HOST = 'evil.example.test';
export const RESOLVE_STATIC: Record<string, string> = { [PKG_HOST]: '127.0.0.1', [EVIL_HOST]: '127.0.0.1' };
