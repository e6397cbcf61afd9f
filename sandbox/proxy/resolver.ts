// Name resolution for the proxies. The proxy resolves once and dials the address it checked,
// so the OS never gets a second chance to answer differently (docs/policy.md, "The decision", step 5).

import * as dns from 'node:dns';
import { canonicalizeHost, isHostProblem } from '../policy';

/** Resolves a canonical name to canonical IP strings; rejects when there is no answer. */
export type Resolve = (name: string) => Promise<string[]>;

function canonicalAddresses(raw: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of raw) {
    const c = canonicalizeHost(a);
    // Only IP answers count: a resolver that hands back a name is not an answer.
    if (!isHostProblem(c) && c.kind !== 'name' && !out.includes(c.host)) out.push(c.host);
  }
  return out;
}

export function createResolver(staticAnswers?: ReadonlyMap<string, readonly string[]>): Resolve {
  // Canonicalize the static table once, not per lookup.
  const table = new Map<string, string[]>();
  for (const [name, addrs] of staticAnswers ?? []) {
    const c = canonicalizeHost(name);
    const key = isHostProblem(c) ? name : c.host;
    table.set(key, [...(table.get(key) ?? []), ...canonicalAddresses(addrs)]);
  }

  return (name) => {
    const fixed = table.get(name);
    // Static answers first, like curl --resolve; they are the whole answer for that name.
    if (fixed) {
      return fixed.length > 0
        ? Promise.resolve(fixed.slice())
        : Promise.reject(new Error(`no address for ${name}`));
    }
    return new Promise((resolve, reject) => {
      dns.lookup(name, { all: true, verbatim: true }, (err, answers) => {
        if (err) return reject(err);
        const out = canonicalAddresses(answers.map((a) => a.address));
        if (out.length === 0) reject(new Error(`no address for ${name}`));
        else resolve(out);
      });
    });
  };
}
