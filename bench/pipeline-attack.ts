// The pipelining attack on the HTTP proxy, measured: one write of N absolute-form GETs on one
// connection, for large answers the client never reads; then the client resets. This process is
// the "worker": it holds the proxy pair, and also the loopback upstream and the attacking client
// (their fds are counted too: each upstream connection costs two here, one per end).
// Run: npm run build && node --expose-gc dist/bench/pipeline-attack.js [N] [--vanish] [--rounds R]
//   --vanish: the client resets as soon as the first answer starts, instead of stalling first.
//   --rounds: attacks in a row (2 by default: the first also grows a fresh process to its working size).

import { readdirSync } from 'node:fs';
import * as net from 'node:net';
import { compilePolicy } from '../sandbox/policy';
import { RecordLog, makeProxyContext, startProxyPair } from '../sandbox/proxy';

const args = process.argv.slice(2);
const N = Number(args.find((a, i) => /^\d+$/.test(a) && args[i - 1] !== '--rounds') ?? 1000);
const vanish = args.includes('--vanish');
const rounds = args.includes('--rounds') ? Number(args[args.indexOf('--rounds') + 1]) : 2;
const BODY = 1024 * 1024; // each answer: 1 MiB, sent with backpressure (the upstream buffers nothing)

const fds = (): number => readdirSync('/proc/self/fd').length;
const live = (m: NodeJS.MemoryUsage): number => m.heapUsed + m.external;
const mib = (n: number): string => (n / 1024 / 1024).toFixed(1);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  // The upstream: counts requests it received (heads parsed), answers each with BODY bytes.
  let requests = 0;
  let open = 0;
  let peakOpen = 0; // this round's
  const upstream = net.createServer((s) => {
    open++;
    peakOpen = Math.max(peakOpen, open);
    // Gone at the first sign the proxy let go (FIN or RST): 'close' itself comes a turn later.
    let counted = true;
    const gone = (): void => void (counted && (counted = false, open--));
    s.on('end', gone);
    s.on('error', gone);
    s.on('close', gone);
    let head = '';
    s.on('data', (c: Buffer) => {
      head += c.toString('latin1');
      while (head.includes('\r\n\r\n')) {
        head = head.slice(head.indexOf('\r\n\r\n') + 4);
        requests++;
        s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${BODY}\r\n\r\n`);
        let left = BODY;
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        const pump = (): void => {
          while (left > 0 && !s.destroyed) {
            left -= chunk.length;
            if (!s.write(chunk)) return void s.once('drain', pump);
          }
        };
        pump();
      }
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  const upPort = (upstream.address() as net.AddressInfo).port;

  const log = new RecordLog(1000);
  const pair = await startProxyPair(
    makeProxyContext({ policy: compilePolicy({ networkMode: 'allowlist', networkAllowlist: ['127.0.0.1/32'] }), log }),
    { http: { host: '127.0.0.1', port: 0 }, socks: { host: '127.0.0.1', port: 0 } },
  );

  console.log(`pipeline attack: ${N} requests in one write, ${vanish ? 'client resets at the first answer' : 'stalled reader, then a reset'}`);
  console.log('  (live = V8 heap used + external buffers, after a full collection when run with --expose-gc)');
  for (let round = 1; round <= rounds; round++) {
    const requests0 = requests;
    const log0 = log.snapshot();
    global.gc?.();
    await sleep(200);
    const fd0 = fds();
    const m0 = process.memoryUsage();
    let fdPeak = fd0;
    let rssPeak = m0.rss;
    peakOpen = open;
    const sampler = setInterval(() => {
      fdPeak = Math.max(fdPeak, fds());
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }, 20);

    const client = net.connect({ port: pair.httpPort, host: '127.0.0.1' });
    client.on('error', () => {});
    await new Promise<void>((r) => client.once('connect', () => r()));
    let got = 0;
    client.on('data', (c: Buffer) => (got += c.length));
    client.write(`GET http://127.0.0.1:${upPort}/ HTTP/1.1\r\nHost: x\r\n\r\n`.repeat(N));
    if (vanish) {
      while (got === 0) await sleep(1);
    } else {
      // A stalled reader: nothing is read from here on; wait until the proxy stops moving.
      client.pause();
      let last = -1;
      while (requests !== last) {
        last = requests;
        await sleep(500);
      }
      await sleep(500);
    }
    const during = { fds: fds(), rss: process.memoryUsage().rss, requests: requests - requests0, open };
    client.resetAndDestroy();
    await sleep(1000);
    global.gc?.();
    const m1 = process.memoryUsage();
    const after1s = { fds: fds(), open };
    clearInterval(sampler);
    const snap = log.snapshot();
    const allowed = snap.allowed.length + snap.dropped.allowed - (log0.allowed.length + log0.dropped.allowed);
    const denied = snap.denied.length + snap.dropped.denied - (log0.denied.length + log0.dropped.denied);

    console.log(`round ${round}:`);
    console.log(`  upstream: requests received ${requests - requests0}, connections at once peak ${peakOpen}, open at reset ${during.open}, open 1 s after ${after1s.open}`);
    console.log(`  fds: before ${fd0}, peak ${fdPeak}, at reset ${during.fds}, 1 s after reset ${after1s.fds}`);
    console.log(`  rss MiB: before ${mib(m0.rss)}, peak ${mib(rssPeak)}, at reset ${mib(during.rss)}, 1 s after reset ${mib(m1.rss)}`);
    console.log(`  live MiB: before ${mib(live(m0))}, 1 s after reset ${mib(live(m1))}`);
    console.log(`  records 1 s after reset: allowed ${allowed}, denied ${denied} (upstream requests ${requests - requests0})`);
  }

  await pair.close();
  const closed = log.snapshot();
  console.log(`after close(): allowed ${closed.allowed.length} + dropped ${closed.dropped.allowed} (upstream requests, all rounds, ${requests})`);
  upstream.close();
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
