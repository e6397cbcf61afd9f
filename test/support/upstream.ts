// Real upstream servers on loopback for the tests: plain HTTP and HTTPS (a throwaway
// self-signed certificate made with openssl for each test run).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

export type Upstream = { port: number; hits: string[]; close(): Promise<void> };

function handler(name: string, hits: string[]): http.RequestListener {
  return (req, res) => {
    hits.push(`${req.method} ${req.headers.host} ${req.url}`);
    res.setHeader('content-type', 'text/plain');
    res.end(`hello from ${name} ${req.url}\n`);
  };
}

function listen(server: http.Server, hits: string[]): Promise<Upstream> {
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

export function startHttpUpstream(name = 'upstream'): Promise<Upstream> {
  const hits: string[] = [];
  return listen(http.createServer(handler(name, hits)), hits);
}

export type TlsMaterial = { dir: string; cert: string; key: string; remove(): void };

/** A self-signed certificate for the given names, made fresh in a temp dir. */
export function makeCertificate(names: string[]): TlsMaterial {
  const dir = mkdtempSync(path.join(tmpdir(), 'sbx-tls-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
    '-subj', `/CN=${names[0]}`,
    '-addext', `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`,
    '-keyout', key, '-out', cert,
  ], { stdio: 'ignore' });
  // Readable by a sandboxed command's own user, which is not the test's when the tests run as root.
  chmodSync(dir, 0o755);
  chmodSync(cert, 0o644);
  return { dir, cert, key, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function startHttpsUpstream(tls: TlsMaterial, name = 'tls-upstream'): Promise<Upstream> {
  const hits: string[] = [];
  const server = https.createServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, handler(name, hits));
  return listen(server, hits);
}
