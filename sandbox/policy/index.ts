// The pure policy engine (docs/policy.md): canonicalization, entries, narrowing, decisions.
// No node builtins anywhere below: the Temporal workflow bundle loads this module.
export * from './host';
export * from './authority';
export * from './presets';
export * from './entry';
export { parseEntries } from './entry-lists';
export * from './static-answers';
export * from './internal';
export * from './covers';
export * from './paths';
export * from './limits';
export * from './ceiling';
export * from './worker-ceiling';
export * from './compile';
export * from './decide';
