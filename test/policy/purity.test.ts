// The policy module is loaded by the Temporal workflow bundle: no Node builtin may be required by
// any compiled file under dist/sandbox/policy, nor by dist/sandbox/errors.js, types.js and vocabulary.js.
import * as fs from 'node:fs';
import * as path from 'node:path';

const dist = path.resolve(__dirname, '../../sandbox');
const ALLOWED_PACKAGES = new Set(['ipaddr.js']);

function requiresOf(source: string): { literal: string[]; dynamic: number } {
  const literal = [...source.matchAll(/\brequire\s*\(\s*(['"`])([^'"`]+)\1\s*\)/g)].map((m) => m[2]);
  const all = (source.match(/\brequire\s*\(/g) ?? []).length + (source.match(/\bimport\s*\(/g) ?? []).length;
  return { literal, dynamic: all - literal.length };
}

function files(): string[] {
  const dir = path.join(dist, 'policy');
  const out = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.js'))
    .map((f) => path.join(dir, f));
  return [...out, path.join(dist, 'errors.js'), path.join(dist, 'types.js'), path.join(dist, 'vocabulary.js')];
}

describe('purity of the compiled policy module', () => {
  test('the scanner itself finds builtins (so the test below can fail)', () => {
    const r = requiresOf('const a = require("node:net"); const b = require(\'url\'); const c = require(x); import("fs");');
    expect(r.literal).toEqual(['node:net', 'url']);
    expect(r.dynamic).toBe(2);
  });

  test('every compiled file exists', () => {
    const names = files().map((f) => path.relative(dist, f));
    for (const want of ['host', 'authority', 'presets', 'entry', 'internal', 'covers', 'compile', 'decide', 'index']) {
      expect(names).toContain(path.join('policy', `${want}.js`));
    }
    for (const f of files()) expect(fs.existsSync(f)).toBe(true);
  });

  test.each(files().map((f) => [path.relative(dist, f), f]))('%s requires only relatives and ipaddr.js', (_, file) => {
    const { literal, dynamic } = requiresOf(fs.readFileSync(file, 'utf8'));
    expect(dynamic).toBe(0);
    const scanned = new Set(files());
    for (const spec of literal) {
      if (spec.startsWith('./') || spec.startsWith('../')) {
        // A relative require must stay inside the scanned, pure set.
        const target = path.resolve(path.dirname(file), spec.endsWith('.js') ? spec : `${spec}.js`);
        expect(scanned.has(target)).toBe(true);
      } else {
        expect(ALLOWED_PACKAGES.has(spec)).toBe(true);
      }
    }
  });

  test('ipaddr.js itself requires nothing', () => {
    const file = require.resolve('ipaddr.js');
    expect(requiresOf(fs.readFileSync(file, 'utf8')).literal).toEqual([]);
  });

  test('no Node-only globals are used', () => {
    for (const file of files()) {
      const src = fs.readFileSync(file, 'utf8');
      expect(src).not.toMatch(/\b(process|Buffer|__dirname|__filename|setImmediate)\b/);
    }
  });
});
