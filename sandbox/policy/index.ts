// The pure policy engine (DESIGN 2 and 3): canonicalization, entries, narrowing, decisions.
// No node builtins anywhere below: the Temporal workflow bundle loads this module.
export * from './host';
export * from './authority';
export * from './presets';
export * from './entry';
export * from './internal';
export * from './covers';
export * from './paths';
export * from './limits';
export * from './compile';
export * from './decide';
