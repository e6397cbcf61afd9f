// Everything the Temporal workflow bundle loads must be pure: no Node builtin required, no
// Node-only global. The files are found as the bundler finds them, by following every relative
// require from the workflow entry point (dist/workflows/index.js: common/, workflows/ and the
// parts of sandbox/ they use) and from temporal-sandbox/policy, which is pure too.
import * as fs from 'node:fs';
import * as path from 'node:path';

const dist = path.resolve(__dirname, '../../sandbox');
const DIST = path.resolve(__dirname, '../..');
const ENTRIES = [path.join(DIST, 'workflows', 'index.js'), path.join(dist, 'policy', 'index.js')];
/** The workflow SDK's own packages, which the bundle has anyway, and our one dependency. */
const ALLOWED_PACKAGES = new Set(['ipaddr.js', '@temporalio/workflow', '@temporalio/common']);

function requiresOf(source: string): { literal: string[]; dynamic: number } {
  const literal = [...source.matchAll(/\brequire\s*\(\s*(['"`])([^'"`]+)\1\s*\)/g)].map((m) => m[2]);
  const all = (source.match(/\brequire\s*\(/g) ?? []).length + (source.match(/\bimport\s*\(/g) ?? []).length;
  return { literal, dynamic: all - literal.length };
}

/** The compiled files reachable from the entries by relative requires. */
function files(): string[] {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of requiresOf(fs.readFileSync(file, 'utf8')).literal) {
      if (spec.startsWith('./') || spec.startsWith('../')) visit(resolveRelative(file, spec));
    }
  };
  for (const entry of ENTRIES) visit(entry);
  return [...seen].sort();
}

function resolveRelative(from: string, spec: string): string {
  const base = path.resolve(path.dirname(from), spec);
  return [base, `${base}.js`, path.join(base, 'index.js')].find((c) => fs.existsSync(c) && fs.statSync(c).isFile()) ?? `${base}.js`;
}

describe('purity of everything the workflow bundle loads', () => {
  test('the scanner itself finds builtins (so the test below can fail)', () => {
    const r = requiresOf('const a = require("node:net"); const b = require(\'url\'); const c = require(x); import("fs");');
    expect(r.literal).toEqual(['node:net', 'url']);
    expect(r.dynamic).toBe(2);
  });

  test('the walk reaches the contract, the workflow side and the policy', () => {
    const names = files().map((f) => path.relative(DIST, f));
    for (const want of ['workflows/index.js', 'common/failures.js', 'common/request.js', 'sandbox/vocabulary.js', 'sandbox/errors.js']) {
      expect(names).toContain(want);
    }
    for (const want of ['host', 'authority', 'presets', 'entry', 'internal', 'covers', 'compile', 'decide', 'index']) {
      expect(names).toContain(path.join('sandbox', 'policy', `${want}.js`));
    }
    for (const f of files()) expect(fs.existsSync(f)).toBe(true);
  });

  test.each(files().map((f) => [path.relative(DIST, f), f]))('%s requires only relatives and the allowed packages', (_, file) => {
    const { literal, dynamic } = requiresOf(fs.readFileSync(file, 'utf8'));
    expect(dynamic).toBe(0);
    const scanned = new Set(files());
    for (const spec of literal) {
      if (spec.startsWith('./') || spec.startsWith('../')) {
        // A relative require must stay inside the scanned, pure set.
        expect(scanned.has(resolveRelative(file, spec))).toBe(true);
      } else {
        expect({ spec, allowed: [...ALLOWED_PACKAGES].some((pkg) => spec === pkg || spec.startsWith(`${pkg}/`)) }).toEqual({ spec, allowed: true });
      }
    }
  });

  test('ipaddr.js itself requires nothing', () => {
    const file = require.resolve('ipaddr.js');
    expect(requiresOf(fs.readFileSync(file, 'utf8')).literal).toEqual([]);
  });

  test('no Node-only globals are used', () => {
    for (const file of files()) {
      // Comments may say "process"; code may not use it.
      const code = fs.readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
      expect({ file: path.relative(DIST, file), uses: code.match(/\b(process|Buffer|__dirname|__filename|setImmediate)\b/)?.[0] ?? null }).toEqual({ file: path.relative(DIST, file), uses: null });
    }
  });
});
