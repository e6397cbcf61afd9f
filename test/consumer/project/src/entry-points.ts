// Every entry point resolves, to real types (each @ts-expect-error fails if a type were `any`),
// and loads; prints what it loaded.
import { BACKENDS, type NetworkMode } from 'temporal-sandbox';
import { NETWORK_MODES, compilePolicy } from 'temporal-sandbox/policy';
import { RUN_ACTIVITY, type RunResult } from 'temporal-sandbox/workflow';
import { SandboxPlugin, type SandboxPluginOptions } from 'temporal-sandbox/worker';

// @ts-expect-error: not a network mode
const sideways: NetworkMode = 'sideways';
// @ts-expect-error: a RunResult has no such field
const nothing = ({} as RunResult).noSuchField;
// @ts-expect-error: not a ceiling option
const ceiling: SandboxPluginOptions = { maxNetworkMode: 'open', noSuchOption: true };

const policy = compilePolicy({ networkMode: 'blocked' });
process.stdout.write(
  `${JSON.stringify({ backends: BACKENDS, modes: NETWORK_MODES, mode: policy.mode, activity: RUN_ACTIVITY, plugin: typeof SandboxPlugin, unused: [sideways, nothing, ceiling].length })}\n`,
);
