// Lists of entries as a ceiling gives them: parsed, presets expanded, and checked for coverage
// against a wider list (docs/policy.md, "Narrowing").
import { SandboxPolicyError } from '../errors';
import { covers } from './covers';
import { parseEntry, type Entry } from './entry';

/** One entry as written, and what it stands for (a preset stands for several). */
export type ParsedEntry = { raw: string; entries: Entry[] };

export function parseList(list: readonly string[] | undefined, listName: string): ParsedEntry[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    throw new SandboxPolicyError(`${listName} must be an array of entries, such as ['pypi.org:443']`, { entry: String(list) });
  }
  return list.map((raw) => ({ raw, entries: parseEntry(raw, listName) }));
}

/** A whole list (undefined = empty), presets expanded, duplicates dropped. */
export function parseEntries(list: readonly string[] | undefined, listName: string): Entry[] {
  return flat(parseList(list, listName));
}

export function flat(list: ParsedEntry[]): Entry[] {
  return dedupe(list.flatMap((p) => p.entries));
}

export function dedupe(entries: Entry[]): Entry[] {
  const seen = new Set<string>();
  return entries.filter((e) => !seen.has(e.text) && (seen.add(e.text), true));
}

/** Every entry of `list` must be covered by some entry of `ceiling`, or the first that is not is named. */
export function requireCovered(list: ParsedEntry[], ceiling: Entry[], listName: string, ceilingName: string): void {
  for (const { raw, entries } of list) {
    for (const e of entries) {
      if (ceiling.some((c) => covers(c, e))) continue;
      const from = raw === e.text ? '' : ` (from '${raw}')`;
      const shown = ceiling.length === 0 ? '[] (empty)' : `[${ceiling.map((c) => `'${c.text}'`).join(', ')}]`;
      throw new SandboxPolicyError(
        `${listName} entry '${e.text}'${from} is not covered by the ${ceilingName} ${shown}: remove it, or widen the ${ceilingName}`,
        { entry: raw, ceiling: ceilingName },
      );
    }
  }
}
