// temporal-sandbox: the Temporal-free core.
export * from './errors';
export * from './types';
export * from './policy';
export { runSandboxed, type RunOptions } from './run/run';
export { createSandboxRunner, type SandboxRunner } from './run/runner';
export { BACKENDS } from './vocabulary';
