// The public API is what the package's entry points name, one by one, and nothing exported is
// dead: every export of a source file is imported somewhere else in the repository, or named by
// an entry point. A regular-expression reader of TypeScript is enough for how this code is written.
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
/** What package.json exports, and the command line (bin/temporal-sandbox.js loads main and its guard). */
const ENTRY_POINTS = ['sandbox/index.ts', 'sandbox/policy/index.ts', 'workflows/index.ts', 'activities/index.ts', 'cli/main.ts', 'cli/guard.ts'];
const LIBRARY = ['sandbox', 'common', 'workflows', 'activities', 'audit', 'cli'];
const EVERYTHING = [...LIBRARY, 'test', 'bench', 'demo', 'scripts', 'examples', 'fixtures'];

function tsFiles(dir: string): string[] {
  const abs = path.join(ROOT, dir);
  if (!fs.existsSync(abs)) return [];
  return fs.readdirSync(abs, { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(rel);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [rel] : [];
  });
}

const source = (rel: string) => fs.readFileSync(path.join(ROOT, rel), 'utf8');

/**
 * Values a file exports by declaration (`export function f`, `export const c`, ...) or by list.
 * Types are left out: they cost nothing at run time, and an exported signature must name them.
 */
function exportsOf(text: string): string[] {
  const names = [...text.matchAll(/^export\s+(?:declare\s+)?(?:async\s+)?(?:function\*?|const|let|var|class|enum)\s+([A-Za-z_$][\w$]*)/gm)].map((m) => m[1]);
  for (const m of text.matchAll(/^export\s+\{([^}]*)\}(?!\s*from)/gm)) {
    for (const part of m[1].split(',')) {
      if (/^\s*type\s/.test(part)) continue;
      const name = part.trim().split(/\s+as\s+/).pop()!;
      if (name) names.push(name);
    }
  }
  return names;
}

/** [names, module specifier] of every import and re-export of a file. */
function importsOf(text: string): Array<{ names: string[]; from: string }> {
  const out: Array<{ names: string[]; from: string }> = [];
  for (const m of text.matchAll(/(?:import|export)\s+(?:type\s+)?\{([^}]*)\}\s*from\s*'([^']+)'/g)) {
    out.push({ names: m[1].split(',').map((p) => p.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0]).filter(Boolean), from: m[2] });
  }
  for (const m of text.matchAll(/import\(\s*'([^']+)'\s*\)/g)) out.push({ names: ['*'], from: m[1] });
  return out;
}

function resolves(fromFile: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const base = path.normalize(path.join(path.dirname(fromFile), spec));
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts')]) if (fs.existsSync(path.join(ROOT, candidate))) return candidate;
  return null;
}

test('the reader finds exports and imports (so the checks below can fail)', () => {
  expect(exportsOf('export function a() {}\nexport type B = 1;\nexport { c, d as e, type G };\nexport const f = 1;')).toEqual(['a', 'f', 'c', 'e']);
  expect(importsOf("import { a, type B } from './x';\nexport { c as d } from '../y';")).toEqual([{ names: ['a', 'B'], from: './x' }, { names: ['c'], from: '../y' }]);
});

test('entry points name what they export: no `export *`', () => {
  for (const entry of ENTRY_POINTS) expect({ entry, star: /^export\s+\*/m.test(source(entry)) }).toEqual({ entry, star: false });
});

test('nothing exported is unused', () => {
  const all = EVERYTHING.flatMap(tsFiles);
  const used = new Map<string, Set<string>>(); // file -> names imported from it by other files
  for (const file of all) {
    for (const { names, from } of importsOf(source(file))) {
      const target = resolves(file, from);
      if (!target || target === file) continue;
      const set = used.get(target) ?? new Set<string>();
      for (const n of names) set.add(n);
      used.set(target, set);
    }
  }
  const unused: string[] = [];
  for (const file of LIBRARY.flatMap(tsFiles)) {
    if (ENTRY_POINTS.includes(file)) continue;
    const importedHere = used.get(file) ?? new Set<string>();
    for (const name of exportsOf(source(file))) if (!importedHere.has(name) && !importedHere.has('*')) unused.push(`${file}: ${name}`);
  }
  expect(unused).toEqual([]);
});
