// The record log's bound, and the resolver's static answers and canonical output.

import { RecordLog } from '../../sandbox/proxy/records';
import { createResolver } from '../../sandbox/proxy/resolver';

test('RecordLog keeps the first maxPerList of each kind and counts the rest', () => {
  const log = new RecordLog(2);
  for (let i = 0; i < 5; i++) log.addDenied({ at: 't', proxy: 'http', host: `h${i}`, port: 1, reason: 'malformed', message: `h${i}:1 is malformed` });
  log.addAllowed({ at: 't', proxy: 'socks5', host: 'a', port: 2, address: '127.0.0.1', bytesUp: 0, bytesDown: 0, durationMs: 0, ended: 'closed' });
  const s = log.snapshot();
  expect(s.denied.map((r) => r.host)).toEqual(['h0', 'h1']);
  expect(s.allowed).toHaveLength(1);
  expect(s.dropped).toEqual({ allowed: 0, denied: 3 });
  // A snapshot is a copy.
  s.denied.pop();
  expect(log.snapshot().denied).toHaveLength(2);
});

test('static answers come first and are canonicalized (IPv4-mapped IPv6 becomes IPv4)', async () => {
  const resolve = createResolver(
    new Map([
      ['API.Example.Test', ['::ffff:127.0.0.1', '2001:DB8:0:0::1', '127.1']],
      ['localhost', ['192.0.2.7']],
    ]),
  );
  expect(await resolve('api.example.test')).toEqual(['127.0.0.1', '2001:db8::1']);
  // The static answer overrides the system's for the same name.
  expect(await resolve('localhost')).toEqual(['192.0.2.7']);
});

test('an empty static answer rejects (resolve-failed)', async () => {
  const resolve = createResolver(new Map([['gone.example.test', []]]));
  await expect(resolve('gone.example.test')).rejects.toThrow(/no address/);
});

test('names without a static answer go to the system resolver (localhost, from /etc/hosts)', async () => {
  const resolve = createResolver();
  const answers = await resolve('localhost');
  expect(answers.length).toBeGreaterThan(0);
  for (const a of answers) expect(['127.0.0.1', '::1']).toContain(a);
});
