// Jest globalSetup of the Temporal tests: ONE server for the whole run (ours, or the one at
// TEMPORAL_ADDRESS), and the example workflows bundled once, so no test file pays for either.
// The test workers inherit what is exported here through process.env.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { useOrStartServer, type TemporalServer } from '../../fixtures/dev-server';
import { BUNDLE_ENV, WORKFLOWS_PATH } from './env';

export type SetupState = { server: TemporalServer; bundleDir: string };

export = async function globalSetup(): Promise<void> {
  const log = (line: string) => process.stderr.write(`temporal tests: ${line}\n`);
  const server = await useOrStartServer({ log });
  process.env.TEMPORAL_ADDRESS = server.address;
  process.env.TEMPORAL_NAMESPACE = server.namespace;

  const bundleDir = mkdtempSync(path.join(tmpdir(), 'temporal-sandbox-bundle-'));
  try {
    const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
    const codePath = path.join(bundleDir, 'workflows.js');
    writeFileSync(codePath, code);
    process.env[BUNDLE_ENV] = codePath;
  } catch (err) {
    await server.stop();
    throw err;
  }
  (globalThis as { __temporalSandboxSetup?: SetupState }).__temporalSandboxSetup = { server, bundleDir };
};

const noop = () => {};
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: (m: string) => process.stderr.write(`${m}\n`) };
