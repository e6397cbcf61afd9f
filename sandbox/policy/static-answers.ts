// Static answers for the proxies' resolver (docs/policy.md, "Static answers"): a name and the
// addresses it resolves to, consulted before DNS, as curl --resolve is. Both sides must be
// written canonically, as entries are, so one name never has two spellings.
import { SandboxInputError, SandboxPolicyError } from '../errors';
import { parseEntry } from './entry';

/** Canonical name -> canonical addresses. */
export type StaticAnswers = ReadonlyMap<string, readonly string[]>;

/** What callers may give: a Map, or { name: address | addresses }. */
export type StaticAnswersInput = ReadonlyMap<string, readonly string[]> | Readonly<Record<string, string | readonly string[]>>;

function checkOne(name: string, address: string, shown: string): [string, string] {
  const fail = (why: string): never => {
    throw new SandboxInputError(`${shown}: ${why}`);
  };
  let n;
  let a;
  try {
    [n] = parseEntry(name, 'the name of');
    [a] = parseEntry(address, 'the address of');
  } catch (err) {
    if (err instanceof SandboxPolicyError) return fail(err.message);
    throw err;
  }
  if (n.kind !== 'name' || n.wildcard || n.port !== null) fail(`'${name}' must be a plain DNS name (no wildcard, no port)`);
  const full = a.kind === 'address' && a.port === null && a.range[1] === (a.range[0].kind() === 'ipv4' ? 32 : 128);
  if (!full) fail(`'${address}' must be one IP address (no CIDR, no port)`);
  return [n.text, a.text];
}

function add(out: Map<string, string[]>, name: string, address: string, shown: string): void {
  const [n, a] = checkOne(name, address, shown);
  const list = out.get(n) ?? [];
  if (!list.includes(a)) list.push(a);
  out.set(n, list);
}

/** `NAME=ADDRESS` pairs, as --resolve and SANDBOX_RESOLVE give them. */
export function parseResolveFlags(pairs: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new SandboxInputError(`--resolve ${JSON.stringify(pair)}: write NAME=ADDRESS, e.g. api.example.test=127.0.0.1`);
    add(out, pair.slice(0, eq), pair.slice(eq + 1), `--resolve ${JSON.stringify(pair)}`);
  }
  return out;
}

/** A Map or a record of answers, checked the same way. */
export function checkStaticAnswers(input: StaticAnswersInput | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (input === undefined) return out;
  const entries = input instanceof Map ? [...input.entries()] : Object.entries(input);
  for (const [name, value] of entries) {
    const addresses = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(addresses) || addresses.length === 0) {
      throw new SandboxInputError(`resolveStatic['${name}'] must be an address or a non-empty list of addresses`);
    }
    for (const address of addresses) add(out, name, address, `resolveStatic['${name}']`);
  }
  return out;
}
