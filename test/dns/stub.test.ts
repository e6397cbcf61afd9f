// The stub DNS's answers, message by message (docs/mechanism.md, "The stub DNS"): what a name
// the policy could allow gets, what every other name gets, and what a malformed question gets.
import { answerQuery } from '../../sandbox/dns/stub';
import { buildResponse, parseQuery, RCODE, TYPE_A, TYPE_AAAA } from '../../sandbox/dns/message';
import { SyntheticNames } from '../../sandbox/dns/synthetic';
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

function stub(session: SessionCeiling) {
  const ctx = makeProxyContext({ policy: compilePolicy(session) });
  const refused = new Set<string>();
  return { ctx, ask: (msg: Buffer) => read(answerQuery(ctx, refused, msg)) };
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
