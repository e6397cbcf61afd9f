// A package index on loopback for the demo and the tests: it serves one tarball, and answers 503
// to the first `failFirst` downloads, the way a flaky mirror does, so retries have something to do.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tarOf } from './tar';

export const PACKAGE_PATH = '/packages/demo-pkg-1.0.tar';
export const PACKAGE_VERSION = 'demo-pkg 1.0';

export type PackageIndex = {
  port: number;
  /** `${method} ${host} ${path} -> ${status}` for each request, in order. */
  hits: string[];
  /** http://HOST:PORT/packages/demo-pkg-1.0.tar */
  packageUrl(host: string): string;
  close(): Promise<void>;
};

export function startPackageIndex(options: { failFirst?: number } = {}): Promise<PackageIndex> {
  const tarball = tarOf([{ name: 'demo-pkg/VERSION', content: `${PACKAGE_VERSION}\n` }]);
  let failuresLeft = options.failFirst ?? 0;
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    let status = 200;
    if (req.url === PACKAGE_PATH) {
      if (failuresLeft > 0) {
        failuresLeft--;
        status = 503;
        res.writeHead(status, { 'content-type': 'text/plain', 'retry-after': '1' }).end('index busy, try again\n');
      } else {
        res.writeHead(status, { 'content-type': 'application/x-tar', 'content-length': tarball.length }).end(tarball);
      }
    } else if (req.url === '/' || req.url === '/simple/') {
      res.writeHead(status, { 'content-type': 'text/html' }).end(`<a href="${PACKAGE_PATH}">demo-pkg-1.0.tar</a>\n`);
    } else {
      status = 404;
      res.writeHead(status, { 'content-type': 'text/plain' }).end('not here\n');
    }
    hits.push(`${req.method} ${req.headers.host} ${req.url} -> ${status}`);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      resolve({
        port,
        hits,
        packageUrl: (host) => `http://${host}:${port}${PACKAGE_PATH}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
