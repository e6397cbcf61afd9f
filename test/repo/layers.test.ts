// Layers point one way (docs/architecture.md), inside sandbox/ too: no folder imports a folder
// that imports it back, by any path, no file cycle, and the shared words at the top of sandbox/
// (types, vocabulary, errors, ...) import nothing from the folders below them. The package's
// entry point, sandbox/index.ts, names everything and is left out. A regular-expression reader
// of imports is enough for how this code is written.
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const SANDBOX = 'sandbox';
const ENTRY = path.join(SANDBOX, 'index.ts');

function tsFiles(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(rel);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [rel] : [];
  });
}

/** The files of the repository a file imports (relative specifiers only). */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:import|export)\s[^;]*?from\s*'(\.[^']*)'|import\(\s*'(\.[^']*)'\s*\)/g)) {
    const base = path.normalize(path.join(path.dirname(file), m[1] ?? m[2]));
    const found = [`${base}.ts`, path.join(base, 'index.ts')].find((c) => fs.existsSync(path.join(ROOT, c)));
    if (found) out.push(found);
  }
  return out;
}

/** Every cycle's nodes, each cycle once (strongly connected components of more than one node). */
function cycles(graph: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)?.has(v)) out.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

const files = tsFiles(SANDBOX).filter((f) => f !== ENTRY);
const fileGraph = new Map(files.map((f) => [f, new Set(importsOf(f).filter((t) => t !== ENTRY))]));
const folderOf = (f: string): string => path.dirname(f);
const folderGraph = new Map<string, Set<string>>();
for (const [f, targets] of fileGraph) {
  const from = folderOf(f);
  if (!folderGraph.has(from)) folderGraph.set(from, new Set());
  for (const t of targets) if (folderOf(t) !== from) folderGraph.get(from)!.add(folderOf(t));
}

test('the cycle finder finds cycles (so the checks below can fail)', () => {
  const g = new Map([['a', new Set(['b'])], ['b', new Set(['c'])], ['c', new Set(['a'])], ['d', new Set(['a'])]]);
  expect(cycles(g)).toEqual([['a', 'b', 'c']]);
  expect(cycles(new Map([['a', new Set(['b'])], ['b', new Set<string>()]]))).toEqual([]);
});

test('no folder of sandbox/ imports, by any path, a folder that imports it', () => {
  expect(cycles(folderGraph)).toEqual([]);
});

test('no file cycle in sandbox/', () => {
  expect(cycles(fileGraph)).toEqual([]);
});

test('the shared words at the top of sandbox/ import nothing from its folders', () => {
  const top = files.filter((f) => folderOf(f) === SANDBOX);
  const down = top.flatMap((f) => [...fileGraph.get(f)!].filter((t) => folderOf(t) !== SANDBOX).map((t) => `${f} -> ${t}`));
  expect(down).toEqual([]);
});
