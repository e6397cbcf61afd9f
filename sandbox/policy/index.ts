// temporal-sandbox/policy: the pure policy engine (docs/policy.md): canonicalization, entries,
// narrowing, decisions. No node builtins anywhere below: the Temporal workflow bundle loads it.
export { canonicalizeHost, isHostProblem, type CanonicalHost, type HostKind, type HostProblem } from './host';
export { printable } from '../vocabulary';
export { formatHostPort, parsePort, splitHostPort } from './authority';
export { CLOUD_METADATA_DENY, PRESETS, PYPI_HOSTS } from './presets';
export { parseEntry, type AddressEntry, type Entry, type NameEntry } from './entry';
export { parseEntries } from './entry-lists';
export { covers } from './covers';
export { INTERNAL_RANGES, internalRange } from './internal';
export { FORBIDDEN_PATHS, SYSTEM_PATHS, normalizePath } from './paths';
export { DEFAULT_RUN_LIMITS, LIMIT_FLAGS, parseLimitFlag, type Limits } from './limits';
export { LIMIT_NAMES, type LimitName } from '../vocabulary';
export { checkStaticAnswers, parseResolveFlags, type StaticAnswers, type StaticAnswersInput } from './static-answers';
export {
  NETWORK_MODES, type CompiledPolicy, type FilesystemCeiling, type NetworkCeiling, type PerCallNetwork, type SessionCeiling, type WorkerCeiling,
} from './ceiling';
export { compileWorkerCeiling, type CompiledWorkerCeiling } from './worker-ceiling';
export { compilePolicy } from './compile';
export { decide, decideName, type Decision, type Target } from './decide';
export { allowFlags, neededFromRecords, suggestAllowlist, type Needed, type Suggestion } from './suggest';
