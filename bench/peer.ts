// The two processes every tunnel figure is measured between: a sink/echo server and a client.
// The same client program runs on the host (direct, via socat) and inside a sandbox (via our
// proxies), so that only the path differs. Invoked as:
//   node peer.js server                         -> prints its port, serves until stdin closes
//   node peer.js throughput HOST PORT BYTES VIA  -> prints {"ms":..,"bytes":..}
//   node peer.js latency HOST PORT COUNT VIA     -> prints {"samplesMs":[...]}
//   node peer.js fanout HOST PORT COUNT VIA      -> prints {"ok":..,"errors":..,"ms":..}
//   node peer.js dns HOST - COUNT -              -> prints {"samplesMs":[...]} (lookups at the stub DNS)
// VIA is "direct", "connect" (HTTP CONNECT through $HTTP_PROXY), "socks" (SOCKS5 via $ALL_PROXY)
// or "transparent" (a plain connect to the name, which the stub DNS and capture take; the name is
// looked up once, before timing, so that the figure is the connection's alone).
import { promises as dnsPromises } from 'node:dns';
import * as net from 'node:net';

type Via = 'direct' | 'connect' | 'socks' | 'transparent';

/** The host as the client dials it: for transparent, the synthetic address its name got. */
async function dialHost(host: string, via: Via): Promise<string> {
  return via === 'transparent' ? (await dnsPromises.lookup(host, { family: 4 })).address : host;
}

function serve(): void {
  // First byte 'T': a throughput sink that answers with the byte count when the client ends.
  // First byte 'E': echo, for latency and fan-out.
  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    let mode = '';
    let bytes = 0;
    socket.on('data', (chunk: Buffer) => {
      if (!mode) mode = String.fromCharCode(chunk[0]);
      if (mode === 'E') socket.write(chunk);
      else bytes += chunk.length;
    });
    socket.on('end', () => (mode === 'T' ? socket.end(`${bytes - 1}\n`) : socket.end()));
    socket.on('error', () => socket.destroy());
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as net.AddressInfo).port}\n`));
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

function proxyFrom(variable: string): { host: string; port: number } {
  const url = new URL(process.env[variable] ?? process.env[variable.toLowerCase()] ?? '');
  return { host: url.hostname, port: Number(url.port) };
}

/** Opens a connection to host:port over the chosen path; resolves once bytes can flow. */
function open(host: string, port: number, via: Via): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const target = via === 'direct' || via === 'transparent' ? { host, port } : proxyFrom(via === 'connect' ? 'HTTP_PROXY' : 'ALL_PROXY');
    const socket = net.connect({ ...target, noDelay: true, allowHalfOpen: true });
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('closed before the tunnel opened')));
    socket.once('connect', () => {
      if (via === 'direct' || via === 'transparent') return resolve(socket);
      let reply = Buffer.alloc(0);
      const want = via === 'connect' ? -1 : 12; // SOCKS: 2-byte method reply + 10-byte IPv4 reply
      const onData = (chunk: Buffer) => {
        reply = Buffer.concat([reply, chunk]);
        const done = via === 'connect' ? reply.indexOf('\r\n\r\n') !== -1 : reply.length >= want;
        if (!done) return;
        socket.off('data', onData);
        const ok = via === 'connect' ? reply.toString('latin1').startsWith('HTTP/1.1 200') : reply[3] === 0;
        if (ok) resolve(socket);
        else reject(new Error(`proxy refused: ${reply.toString('latin1').split('\r\n')[0]}`));
      };
      socket.on('data', onData);
      if (via === 'connect') {
        socket.write(`CONNECT ${host}:${port} HTTP/1.1\r\nHost: ${host}:${port}\r\n\r\n`);
      } else {
        const name = Buffer.from(host);
        const portBytes = Buffer.from([port >> 8, port & 255]);
        // Greeting and request in one write: the proxy parses them in order.
        socket.write(Buffer.concat([Buffer.from([5, 1, 0, 5, 1, 0, 3, name.length]), name, portBytes]));
      }
    });
  });
}

async function throughput(host: string, port: number, total: number, via: Via): Promise<void> {
  const socket = await open(await dialHost(host, via), port, via);
  const chunk = Buffer.alloc(1 << 20, 120);
  const started = process.hrtime.bigint();
  socket.write('T');
  let sent = 0;
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (sent < total) {
        sent += chunk.length;
        if (!socket.write(chunk)) return void socket.once('drain', pump);
      }
      socket.end();
      resolve();
    };
    pump();
  });
  const reply = await new Promise<string>((resolve) => {
    let text = '';
    socket.on('data', (c) => (text += c));
    socket.on('end', () => resolve(text));
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  process.stdout.write(JSON.stringify({ ms, bytes: Number(reply.trim()) }) + '\n');
}

async function latency(host: string, port: number, count: number, via: Via): Promise<void> {
  const samplesMs: number[] = [];
  host = await dialHost(host, via);
  for (let i = 0; i < count; i++) {
    const started = process.hrtime.bigint();
    const socket = await open(host, port, via);
    socket.write('E');
    await new Promise((resolve) => socket.once('data', resolve));
    samplesMs.push(Number(process.hrtime.bigint() - started) / 1e6);
    socket.destroy();
  }
  process.stdout.write(JSON.stringify({ samplesMs }) + '\n');
}

/** Lookups of the name straight at the stub DNS (c-ares, no cache): the answer time alone. */
async function dns(host: string, count: number): Promise<void> {
  const resolver = new dnsPromises.Resolver();
  resolver.setServers(['127.0.0.1']);
  const samplesMs: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = process.hrtime.bigint();
    await resolver.resolve4(host);
    samplesMs.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  process.stdout.write(JSON.stringify({ samplesMs }) + '\n');
}

async function fanout(host: string, port: number, count: number, via: Via): Promise<void> {
  const started = process.hrtime.bigint();
  let errors = 0;
  const sockets: net.Socket[] = [];
  // Open every tunnel first, so that all of them are alive at once, then use each.
  await Promise.all(
    Array.from({ length: count }, async () => {
      try {
        sockets.push(await open(host, port, via));
      } catch {
        errors++;
      }
    }),
  );
  let ok = 0;
  await Promise.all(
    sockets.map(
      (socket, i) =>
        new Promise<void>((resolve) => {
          const message = `E${i}`;
          socket.once('data', (c) => {
            if (c.toString() === message) ok++;
            else errors++;
            socket.destroy();
            resolve();
          });
          socket.once('error', () => {
            errors++;
            resolve();
          });
          socket.write(message);
        }),
    ),
  );
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  process.stdout.write(JSON.stringify({ ok, errors, ms }) + '\n');
}

const [mode, host, port, n, via] = process.argv.slice(2);
const run: Record<string, () => unknown> = {
  server: serve,
  throughput: () => throughput(host, Number(port), Number(n), via as Via),
  latency: () => latency(host, Number(port), Number(n), via as Via),
  fanout: () => fanout(host, Number(port), Number(n), via as Via),
  dns: () => dns(host, Number(n)),
};
if (!run[mode]) {
  process.stderr.write('usage: peer.js server | throughput|latency|fanout HOST PORT N direct|connect|socks|transparent | dns HOST - N -\n');
  process.exit(2);
}
Promise.resolve(run[mode]()).catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
