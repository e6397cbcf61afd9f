// Jest globalTeardown of the Temporal tests: stops the dev server we started (if we did) and
// removes its database and the workflow bundle.
import { rmSync } from 'node:fs';
import type { SetupState } from './global-setup';

export = async function globalTeardown(): Promise<void> {
  const state = (globalThis as { __temporalSandboxSetup?: SetupState }).__temporalSandboxSetup;
  if (!state) return;
  await state.server.stop();
  rmSync(state.bundleDir, { recursive: true, force: true });
};
