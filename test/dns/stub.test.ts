// The stub DNS's answers, message by message (docs/mechanism.md, "The stub DNS"): what a name
// the policy could allow gets, what every other name gets, and what a malformed question gets;
// and its bounds: refused names, synthetic names and questions per second, in the worker's heap,
// on real sockets, and in a real run flooding its stub.
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { runSandboxed } from '../../sandbox';
import { answerQuery, createDnsStub } from '../../sandbox/dns/stub';
import { buildResponse, parseQuery, RCODE, TYPE_A, TYPE_AAAA } from '../../sandbox/dns/message';
import { DNS_BURST, DNS_RATE_PER_SECOND, QueryRate } from '../../sandbox/dns/query-rate';
import { RECENTLY_DROPPED_NAMES, RefusedNames } from '../../sandbox/dns/refused-names';
import { SYNTHETIC_NAMES, SyntheticNames } from '../../sandbox/proxy/synthetic-names';
import { compilePolicy, type SessionCeiling } from '../../sandbox/policy';
import { makeProxyContext } from '../../sandbox/proxy';

function query(name: string, type = TYPE_A, id = 0x1234): Buffer {
  const labels = name === '' ? [] : name.split('.');
  const parts = [Buffer.from([id >> 8, id & 255, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0])];
  for (const l of labels) parts.push(Buffer.from([l.length]), Buffer.from(l, 'latin1'));
  parts.push(Buffer.from([0, type >> 8, type & 255, 0, 1]));
  return Buffer.concat(parts);
}

type Reply = { id: number; rcode: number; answers: string[]; flags: number };
function read(reply: Buffer): Reply {
  const id = reply.readUInt16BE(0);
  const flags = reply.readUInt16BE(2);
  const an = reply.readUInt16BE(6);
  let at = 12;
  if (reply.readUInt16BE(4) === 1) {
    while (reply[at] !== 0) at += reply[at] + 1;
    at += 5;
  }
  const answers: string[] = [];
  for (let i = 0; i < an; i++) {
    expect(reply.readUInt16BE(at)).toBe(0xc00c);
    const len = reply.readUInt16BE(at + 10);
    answers.push([...reply.subarray(at + 12, at + 12 + len)].join('.'));
    at += 12 + len;
  }
  expect(at).toBe(reply.length);
  return { id, rcode: flags & 15, answers, flags };
}

function stub(session: SessionCeiling, maxRecords?: number) {
  const ctx = makeProxyContext({ policy: compilePolicy(session), maxRecords });
  const refused = new RefusedNames();
  return { ctx, refused, ask: (msg: Buffer) => read(answerQuery(ctx, refused, msg)) };
}

const allowlist: SessionCeiling = {
  networkMode: 'allowlist',
  networkAllowlist: ['pypi.org:443', '*.pythonhosted.org', '10.0.0.0/8'],
  networkDenylist: ['evil.pythonhosted.org', 'bad.pythonhosted.org:80'],
};

describe('stub DNS answers', () => {
  test('a name the policy could allow gets a synthetic address, the same every time, and one per name', () => {
    const { ctx, ask } = stub(allowlist);
    const a = ask(query('pypi.org'));
    expect(a).toMatchObject({ id: 0x1234, rcode: RCODE.noError, answers: ['198.18.0.1'] });
    expect(a.flags & 0x8000).toBeTruthy(); // a response
    expect(a.flags & 0x0100).toBeTruthy(); // RD echoed
    expect(ask(query('PyPI.org')).answers).toEqual(['198.18.0.1']); // names are case-insensitive
    expect(ask(query('files.pythonhosted.org')).answers).toEqual(['198.18.0.2']);
    expect(ask(query('pypi.org')).answers).toEqual(['198.18.0.1']);
    expect(ctx.names.nameOf('198.18.0.2')).toBe('files.pythonhosted.org');
    // a deny entry for one port leaves the name possible on others
    expect(ask(query('bad.pythonhosted.org')).answers).toEqual(['198.18.0.3']);
    expect(ctx.log.snapshot().denied).toEqual([]);
  });

  test('AAAA and every other type of an allowed name: NODATA (no error, no answer)', () => {
    const { ask } = stub(allowlist);
    expect(ask(query('pypi.org', TYPE_AAAA))).toMatchObject({ rcode: RCODE.noError, answers: [] });
    expect(ask(query('pypi.org', 16 /* TXT */))).toMatchObject({ rcode: RCODE.noError, answers: [] });
  });

  test('a refused name: NXDOMAIN and one denied record with the reason, however often it is asked', () => {
    const { ctx, ask } = stub(allowlist);
    expect(ask(query('example.com')).rcode).toBe(RCODE.nxDomain);
    expect(ask(query('example.com', TYPE_AAAA)).rcode).toBe(RCODE.nxDomain);
    expect(ask(query('evil.pythonhosted.org')).rcode).toBe(RCODE.nxDomain);
    expect(ask(query('exfil-data-1.example.com', 16)).rcode).toBe(RCODE.nxDomain);
    const denied = ctx.log.snapshot().denied;
    expect(denied).toHaveLength(3);
    expect(denied[0]).toMatchObject({ proxy: 'dns', host: 'example.com', port: 53, reason: 'not-allowlisted' });
    expect(denied[1]).toMatchObject({ proxy: 'dns', host: 'evil.pythonhosted.org', reason: 'denylisted', rule: 'evil.pythonhosted.org' });
    expect(denied[0].message).toContain('NXDOMAIN');
  });

  test('an address entry allows no name: a name is looked up only through name entries', () => {
    const { ask } = stub(allowlist);
    expect(ask(query('ten.internal')).rcode).toBe(RCODE.nxDomain);
  });

  test('report mode answers every name but a denylisted one', () => {
    const { ask } = stub({ networkMode: 'allowlist', report: true, networkDenylist: ['metadata.google.internal'] });
    expect(ask(query('anything.example')).answers).toEqual(['198.18.0.1']);
    expect(ask(query('metadata.google.internal')).rcode).toBe(RCODE.nxDomain);
  });

  test('malformed or unsupported questions get FORMERR or NOTIMP, never an answer', () => {
    const { ctx, ask } = stub(allowlist);
    expect(ask(Buffer.from([1, 2, 3])).rcode).toBe(RCODE.formErr);
    const pointer = Buffer.concat([query('pypi.org').subarray(0, 12), Buffer.from([0xc0, 0x0c, 0, 1, 0, 1])]);
    expect(ask(pointer).rcode).toBe(RCODE.formErr);
    const truncated = query('pypi.org').subarray(0, 20);
    expect(ask(truncated).rcode).toBe(RCODE.formErr);
    const update = query('pypi.org');
    update[2] = 0x28; // opcode 5 (UPDATE)
    expect(ask(update).rcode).toBe(RCODE.notImp);
    const chaos = query('version.bind');
    chaos[chaos.length - 1] = 3; // class CH
    expect(ask(chaos).rcode).toBe(RCODE.notImp);
    const dotInLabel = Buffer.concat([query('').subarray(0, 12), Buffer.from([8]), Buffer.from('pypi.org'), Buffer.from([0, 0, 1, 0, 1])]);
    expect(ask(dotInLabel).rcode).toBe(RCODE.formErr);
    const nul = query('a\0b.pythonhosted.org');
    expect(ask(nul).rcode).toBe(RCODE.nxDomain); // read, then refused by the policy as malformed
    expect(ctx.log.snapshot().denied[0]).toMatchObject({ proxy: 'dns', reason: 'malformed' });
  });

  test('parseQuery and buildResponse agree on the question', () => {
    const q = parseQuery(query('files.pythonhosted.org', TYPE_AAAA, 7));
    expect(q.ok).toBe(true);
    if (!q.ok) return;
    expect(q.question).toMatchObject({ id: 7, name: 'files.pythonhosted.org', type: TYPE_AAAA, qclass: 1 });
    const r = parseQuery(buildResponse(q.question, RCODE.noError));
    expect(r).toMatchObject({ ok: false, why: 'a response, not a query' });
  });

  test('the synthetic range is used up cleanly: SERVFAIL, not a reused address', () => {
    const names = new SyntheticNames();
    let last: string | null = null;
    for (let i = 0; i < (1 << 17) - 2; i++) last = names.addressFor(`n${i}.example`);
    expect(last).toBe('198.19.255.254');
    expect(names.addressFor('one-more.example')).toBeNull();
  });
});

/** The worker's heap after full collections: gc as `node --expose-gc` gives it, or the flag set now. */
function heapAfterGc(): number {
  const gc: () => void = (globalThis as { gc?: () => void }).gc ?? (v8.setFlagsFromString('--expose-gc'), vm.runInNewContext('gc'));
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const MB = 1024 * 1024;

describe('stub DNS bounds: refused names', () => {
  test('a flood of 200,000 unique refused names: NXDOMAIN each, the first 1,000 recorded, the rest counted, the heap flat', () => {
    const { ctx, refused } = stub(allowlist); // the run's default: 1,000 records per list
    const rcode = (i: number): number => answerQuery(ctx, refused, query(`n${i}.flood.example`))[3] & 15;
    // Warmed up first: the log and the ring of recently dropped names are full, the code compiled.
    for (let i = 0; i < 5000; i++) rcode(i);
    const before = heapAfterGc();
    let nxdomain = 0;
    for (let i = 5000; i < 205_000; i++) if (rcode(i) === RCODE.nxDomain) nxdomain++;
    const grown = heapAfterGc() - before;
    expect(nxdomain).toBe(200_000);
    expect(refused.size).toEqual({ recorded: 1000, recentlyDropped: RECENTLY_DROPPED_NAMES });
    const { denied, dropped } = ctx.log.snapshot();
    expect(denied).toHaveLength(1000);
    expect([denied[0].host, denied[999].host]).toEqual(['n0.flood.example', 'n999.flood.example']);
    expect(dropped.denied).toBe(204_000);
    // Remembering every name, as the stub once did, grows it by about 20 MB here.
    expect(grown).toBeLessThan(2 * MB);
  });

  test('past the log\'s room: NXDOMAIN still, no record, and each name counted once as dropped however often it is asked', () => {
    const { ctx, refused, ask } = stub(allowlist, 5);
    for (let i = 0; i < 12; i++) {
      for (const type of [TYPE_A, TYPE_AAAA, TYPE_A]) expect(ask(query(`n${i}.example.com`, type)).rcode).toBe(RCODE.nxDomain);
    }
    const { denied, dropped } = ctx.log.snapshot();
    expect(denied.map((d) => d.host)).toEqual([0, 1, 2, 3, 4].map((i) => `n${i}.example.com`));
    expect(dropped).toEqual({ allowed: 0, denied: 7 });
    expect(refused.size).toEqual({ recorded: 5, recentlyDropped: 7 });
    expect(ask(query('n0.example.com')).rcode).toBe(RCODE.nxDomain); // recorded: neither recorded nor counted again
    expect(ctx.log.snapshot().dropped.denied).toBe(7);
  });

  test('a dropped name is remembered among the most recent ones only: asked again after that many others, it counts again', () => {
    const { ctx, refused, ask } = stub(allowlist, 0);
    ask(query('first.example.com'));
    for (let i = 1; i < RECENTLY_DROPPED_NAMES; i++) ask(query(`n${i}.example.com`));
    ask(query('first.example.com'));
    expect(ctx.log.snapshot().dropped.denied).toBe(RECENTLY_DROPPED_NAMES);
    ask(query('one-more.example.com')); // takes the oldest slot, first.example.com's
    ask(query('first.example.com'));
    expect(ctx.log.snapshot().dropped.denied).toBe(RECENTLY_DROPPED_NAMES + 2);
    expect(refused.size).toEqual({ recorded: 0, recentlyDropped: RECENTLY_DROPPED_NAMES });
  });
});

describe('stub DNS bounds: synthetic names', () => {
  test('allowed names past the synthetic range: SERVFAIL, the map holds no more, and the names given out keep their addresses', () => {
    const { ctx, refused, ask } = stub({ networkMode: 'allowlist', networkAllowlist: ['*.example.test'] });
    const answerTo = (name: string): Buffer => answerQuery(ctx, refused, query(name));
    let last: Buffer = Buffer.alloc(0);
    for (let i = 0; i < SYNTHETIC_NAMES; i++) last = answerTo(`n${i}.example.test`);
    expect([...last.subarray(-4)].join('.')).toBe('198.19.255.254');
    const before = heapAfterGc();
    let servfail = 0;
    for (let i = 0; i < 50_000; i++) if ((answerTo(`more${i}.example.test`)[3] & 15) === RCODE.servFail) servfail++;
    const grown = heapAfterGc() - before;
    expect(servfail).toBe(50_000);
    expect(ctx.names.size).toBe(SYNTHETIC_NAMES);
    expect(grown).toBeLessThan(1 * MB);
    expect(ask(query('n0.example.test')).answers).toEqual(['198.18.0.1']);
    expect(ctx.names.nameOf('198.19.255.254')).toBe(`n${SYNTHETIC_NAMES - 1}.example.test`);
    expect(ctx.log.snapshot().denied).toEqual([]);
  });

  test('only an address as given out maps back to its name', () => {
    const names = new SyntheticNames();
    expect(names.addressFor('a.example')).toBe('198.18.0.1');
    expect(names.nameOf('198.18.0.1')).toBe('a.example');
    for (const other of ['198.18.0.2', '198.18.0.0', '198.018.0.1', '198.18.0.01', '198.18.0.1.', '198.17.255.255', '198.20.0.1', '::1', '']) {
      expect(names.nameOf(other)).toBeUndefined();
    }
  });
});

/** A clock the test moves by hand, for the rate bound. */
function handClock(): { ms: number; now: () => number } {
  const clock = { ms: 0, now: () => clock.ms };
  return clock;
}

/** Sends the questions over UDP at once and gives the ids answered within `waitMs`. */
async function askOverUdp(port: number, questions: Buffer[], waitMs = 300): Promise<number[]> {
  const client = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));
  const ids: number[] = [];
  try {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, waitMs);
      client.on('message', (reply) => {
        ids.push(reply.readUInt16BE(0));
        if (ids.length === questions.length) {
          clearTimeout(timer);
          resolve();
        }
      });
      for (const q of questions) client.send(q, port, '127.0.0.1');
    });
  } finally {
    client.close();
  }
  return ids;
}

describe('stub DNS bounds: questions per second', () => {
  test('over UDP: the burst is answered, then nothing until the clock has refilled the bucket, at the sustained rate', async () => {
    const clock = handClock();
    const dns = createDnsStub(makeProxyContext({ policy: compilePolicy(allowlist) }), new QueryRate(DNS_BURST, DNS_RATE_PER_SECOND, clock.now));
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    dns.serveUdp(socket);
    const port = socket.address().port;
    try {
      // In batches small enough for the sockets' buffers: every question here reaches the stub.
      let answered = 0;
      for (let id = 0; id < DNS_BURST; id += 50) {
        const batch = Array.from({ length: 50 }, (_, k) => query(`b${id + k}.example.com`, TYPE_A, id + k));
        answered += (await askOverUdp(port, batch)).length;
      }
      expect(answered).toBe(DNS_BURST);
      expect(await askOverUdp(port, [query('pypi.org', TYPE_A, 1), query('late.example.com', TYPE_A, 2)])).toEqual([]);
      expect(dns.droppedQueries).toBe(2);
      clock.ms += 10_000 / DNS_RATE_PER_SECOND; // ten questions' worth
      const later = await askOverUdp(port, Array.from({ length: 12 }, (_, k) => query('pypi.org', TYPE_A, 100 + k)));
      expect(later).toHaveLength(10);
      expect(dns.droppedQueries).toBe(4);
    } finally {
      await dns.close();
    }
  });

  test('over TCP: the question past the bound ends the connection, after the answers before it', async () => {
    const clock = handClock();
    const dns = createDnsStub(makeProxyContext({ policy: compilePolicy(allowlist) }), new QueryRate(5, 1, clock.now));
    await new Promise<void>((resolve) => dns.tcp.server.listen(0, '127.0.0.1', resolve));
    const port = (dns.tcp.server.address() as net.AddressInfo).port;
    try {
      const client = net.connect(port, '127.0.0.1');
      const received: Buffer[] = [];
      client.on('data', (chunk: Buffer) => received.push(chunk));
      const ended = new Promise<void>((resolve) => client.on('end', resolve));
      client.write(Buffer.concat(Array.from({ length: 8 }, (_, k) => {
        const q = query('pypi.org', TYPE_A, k);
        return Buffer.concat([Buffer.from([q.length >> 8, q.length & 255]), q]);
      })));
      await ended;
      client.end();
      const all = Buffer.concat(received);
      const ids: number[] = [];
      for (let at = 0; at < all.length; at += 2 + all.readUInt16BE(at)) ids.push(read(all.subarray(at + 2, at + 2 + all.readUInt16BE(at))).id);
      expect(ids).toEqual([0, 1, 2, 3, 4]);
      expect(dns.droppedQueries).toBe(1);
    } finally {
      await dns.close();
    }
  });
});

describe('a run flooding its stub DNS', () => {
  test('10,000 unique refused names, sent 100 at a time: the run ends normally, the answers stay within the rate, the records bounded', async () => {
    // Paced so that the sockets' buffers hold each round: what goes unanswered, the stub dropped.
    const flood = [
      'import socket, struct, time',
      'def q(i, name):',
      '    return struct.pack(">HHHHHH", i & 0xffff, 0x0100, 1, 0, 0, 0) + b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\\0" + struct.pack(">HH", 1, 1)',
      'ns = [l.split()[1] for l in open("/etc/resolv.conf") if l.startswith("nameserver")][0]',
      'u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
      'u.connect((ns, 53))',
      'replies = nxdomain = 0',
      'def drain(until):',
      '    global replies, nxdomain',
      '    while True:',
      '        left = until - time.monotonic()',
      '        if left <= 0: return',
      '        u.settimeout(left)',
      '        try:',
      '            r = u.recv(512)',
      '        except socket.timeout:',
      '            return',
      '        replies += 1',
      '        nxdomain += (r[3] & 15) == 3',
      'for start in range(0, 10000, 100):',
      '    for i in range(start, start + 100):',
      '        u.send(q(i, "n%d.flood.example.test" % i))',
      '    drain(time.monotonic() + 0.02)',
      'drain(time.monotonic() + 0.5)',
      'print(ns, replies, nxdomain)',
    ];
    const result = await runSandboxed({
      networkMode: 'allowlist',
      networkAllowlist: ['allowed.example.test'],
      resolveStatic: new Map([['allowed.example.test', ['127.0.0.1']]]),
      maxRecords: 100,
      timeoutSeconds: 60,
      command: ['/usr/bin/python3', '-c', flood.join('\n')],
    });
    expect(result.stderr).toBe('');
    expect(result).toMatchObject({ exitCode: 0, termination: 'exited' });
    const [ns, ...counts] = result.stdout.trim().split(' ');
    const [replies, nxdomain] = counts.map(Number);
    expect(ns).toBe('127.0.0.1');
    expect(nxdomain).toBe(replies);
    expect(replies).toBeGreaterThan(100);
    expect(replies).toBeLessThan(10_000);
    expect(result.denied).toHaveLength(100);
    for (const d of result.denied) expect(d).toMatchObject({ proxy: 'dns', port: 53, reason: 'not-allowlisted', host: expect.stringMatching(/^n\d+\.flood\.example\.test$/) });
    // Each name answered has its record or its count, and the stub answered no more than its rate.
    const accounted = result.denied.length + result.recordsDropped.denied;
    expect(accounted).toBeGreaterThanOrEqual(replies);
    expect(accounted).toBeLessThanOrEqual(DNS_BURST + (DNS_RATE_PER_SECOND * result.durationMs) / 1000);
  });
});
