// A real Python package index for the tests: wheels built here (a zip with stored entries, as
// PEP 427 allows) served by a PEP 503 "simple" index on 127.0.0.1, so that pip installs through
// the sandbox's proxy without reaching the internet.
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';

export type Wheel = { name: string; version: string; filename: string; data: Buffer; sha256: string };

/** PEP 503 normalization: runs of -, _ and . become one -, lower case. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

function recordHash(data: Buffer): string {
  return `sha256=${createHash('sha256').update(data).digest('base64url')}`;
}

/** A zip archive of stored (uncompressed) entries. */
export function zipStored(entries: ReadonlyArray<[string, Buffer]>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  const DOS_DATE = (0 << 9) | (1 << 5) | 1; // 1980-01-01, the earliest a zip can say
  for (const [name, data] of entries) {
    const nameBuf = Buffer.from(name, 'utf8');
    const crc = crc32(data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, nameBuf, data);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix, so the mode below counts
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBuf.length, 28);
    central.writeUInt16LE(0, 30); // extra
    central.writeUInt16LE(0, 32); // comment
    central.writeUInt16LE(0, 34); // disk
    central.writeUInt16LE(0, 36); // internal attributes
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, nameBuf);
    offset += local.length + nameBuf.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0, 4);
  end.writeUInt16LE(0, 6);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(0, 20);
  return Buffer.concat([...locals, cd, end]);
}

/**
 * A pure-Python wheel: `name/__init__.py` with the given source (default: VALUE = "<name> <version>"),
 * and the dist-info METADATA, WHEEL and RECORD that pip checks.
 */
export function buildWheel(name: string, version = '1.0', init?: string): Wheel {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`${name} is not an importable module name`);
  const info = `${name}-${version}.dist-info`;
  const files: Array<[string, Buffer]> = [
    [`${name}/__init__.py`, Buffer.from(init ?? `VALUE = ${JSON.stringify(`${name} ${version}`)}\n`)],
    [`${info}/METADATA`, Buffer.from(`Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\nSummary: a test package\n`)],
    [`${info}/WHEEL`, Buffer.from('Wheel-Version: 1.0\nGenerator: temporal-sandbox-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n')],
  ];
  const record = [...files.map(([p, d]) => `${p},${recordHash(d)},${d.length}`), `${info}/RECORD,,`].join('\n') + '\n';
  files.push([`${info}/RECORD`, Buffer.from(record)]);
  const data = zipStored(files);
  return { name, version, filename: `${name}-${version}-py3-none-any.whl`, data, sha256: createHash('sha256').update(data).digest('hex') };
}

export type PythonIndex = { port: number; hits: string[]; close(): Promise<void> };

/** A PEP 503 index: /simple/, /simple/<name>/ (links with #sha256=), /files/<wheel>. */
export function startPythonIndex(wheels: readonly Wheel[]): Promise<PythonIndex> {
  const hits: string[] = [];
  const byName = new Map<string, Wheel[]>();
  for (const w of wheels) byName.set(normalizeName(w.name), [...(byName.get(normalizeName(w.name)) ?? []), w]);
  const html = (title: string, links: string[]) =>
    `<!DOCTYPE html>\n<html><head><meta name="pypi:repository-version" content="1.0"><title>${title}</title></head><body>\n${links.join('\n')}\n</body></html>\n`;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://index');
    hits.push(`${req.method} ${req.headers.host} ${url.pathname}`);
    let m: RegExpExecArray | null;
    if (url.pathname === '/simple/') {
      res.setHeader('content-type', 'text/html');
      res.end(html('Simple index', [...byName.keys()].map((n) => `<a href="/simple/${n}/">${n}</a>`)));
    } else if ((m = /^\/simple\/([^/]+)\/$/.exec(url.pathname)) && byName.has(normalizeName(m[1]))) {
      res.setHeader('content-type', 'text/html');
      const links = byName.get(normalizeName(m[1]))!.map((w) => `<a href="/files/${w.filename}#sha256=${w.sha256}">${w.filename}</a>`);
      res.end(html(`Links for ${m[1]}`, links));
    } else if ((m = /^\/files\/([^/]+)$/.exec(url.pathname)) && wheels.some((w) => w.filename === m![1])) {
      const w = wheels.find((x) => x.filename === m![1])!;
      res.setHeader('content-type', 'application/octet-stream');
      res.setHeader('content-length', String(w.data.length));
      res.end(w.data);
    } else {
      res.statusCode = 404;
      res.end('not found\n');
    }
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        hits,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
