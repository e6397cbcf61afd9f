// The SOCKS5 wire format as pure functions (sandbox/proxy/socks5-message.ts): every prefix of a
// message is incomplete, the whole message parses with what follows it kept, and bytes of
// another protocol are told apart at the first byte.
import { authStatus, methodSelection, parseAuth, parseGreeting, parseRequest, reply, REP } from '../../sandbox/proxy/socks5-message';

const B = (...bytes: number[]): Buffer => Buffer.from(bytes);
const prefixes = (b: Buffer): Buffer[] => Array.from({ length: b.length }, (_, n) => b.subarray(0, n));

test('a greeting: incomplete at every prefix, then its methods and what follows', () => {
  const msg = B(5, 2, 0, 2);
  for (const p of prefixes(msg)) expect(parseGreeting(p)).toEqual({ kind: 'incomplete' });
  const g = parseGreeting(Buffer.concat([msg, B(9, 9)]));
  expect(g.kind === 'greeting' && [[...g.methods], [...g.rest]]).toEqual([[0, 2], [9, 9]]);
  expect(parseGreeting(B(4, 1, 0, 80))).toEqual({ kind: 'foreign' }); // SOCKS4
  expect(parseGreeting(Buffer.from('GET / HTTP/1.1\r\n'))).toEqual({ kind: 'foreign' });
});

test('user/password: incomplete at every prefix, then both strings', () => {
  const msg = Buffer.concat([B(1, 4), Buffer.from('user'), B(6), Buffer.from('secret')]);
  for (const p of prefixes(msg)) expect(parseAuth(p)).toEqual({ kind: 'incomplete' });
  expect(parseAuth(msg)).toEqual({ kind: 'auth', user: 'user', password: 'secret', rest: Buffer.alloc(0) });
  expect(parseAuth(B(5, 0))).toEqual({ kind: 'foreign' });
});

test('requests of every address type, early bytes kept as they came', () => {
  const v4 = B(5, 1, 0, 1, 127, 0, 0, 1, 0x1f, 0x90);
  const name = Buffer.concat([B(5, 1, 0, 3, 11), Buffer.from('example.com'), B(1, 187)]);
  const v6 = Buffer.concat([B(5, 1, 0, 4), Buffer.from('20010db8000000000000000000000001', 'hex'), B(0, 80)]);
  for (const msg of [v4, name, v6]) for (const p of prefixes(msg)) expect(parseRequest(p)).toEqual({ kind: 'incomplete' });
  expect(parseRequest(Buffer.concat([v4, Buffer.from('early')]))).toEqual({ kind: 'request', cmd: 1, host: '127.0.0.1', port: 8080, rest: Buffer.from('early') });
  expect(parseRequest(name)).toMatchObject({ kind: 'request', host: 'example.com', port: 443 });
  expect(parseRequest(v6)).toMatchObject({ kind: 'request', host: '2001:db8:0:0:0:0:0:1', port: 80 });
  // Bytes of a name reach the canonicalizer as themselves, NUL included.
  expect(parseRequest(Buffer.concat([B(5, 1, 0, 3, 3), B(0x61, 0, 0xe9), B(0, 80)]))).toMatchObject({ host: 'a\u0000\u00e9' });
  expect(parseRequest(B(5, 1, 0, 9, 0, 0))).toEqual({ kind: 'unknown-address-type', atyp: 9 });
  expect(parseRequest(B(4, 1, 0, 80))).toEqual({ kind: 'foreign' });
});

test('the answers, byte for byte', () => {
  expect([...methodSelection(0xff)]).toEqual([5, 0xff]);
  expect([...authStatus(true)]).toEqual([1, 0]);
  expect([...authStatus(false)]).toEqual([1, 1]);
  expect([...reply(REP.connectionRefused)]).toEqual([5, 5, 0, 1, 0, 0, 0, 0, 0, 0]);
});
