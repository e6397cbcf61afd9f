// What a hostile command plants in its work dir cannot turn getFile or putFile against the host:
// a real run in the session makes links to /etc/shadow and /etc, a FIFO and a directory, and each
// file call on them is refused (promptly, for the FIFO) with nothing read or written outside the
// work dir. A real file beside them is still served: the refusals are not blanket ones.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { SandboxInputError } from '../../sandbox/errors';
import { AS_ROOT } from '../containment/harness';
import { makeStore, sessionDir, sh, sha256, thrown, type Held } from './harness';

let held: Held;
let id: string;
let dir: string;
// Under a non-root test user, a secret of its own outside the work dir stands in for /etc/shadow.
const scratch = AS_ROOT ? null : mkdtempSync(path.join(realpathSync(tmpdir()), 'session-secret-'));
const SECRET = scratch ? path.join(scratch, 'secret') : '/etc/shadow';
if (scratch) writeFileSync(SECRET, `secret-${randomBytes(8).toString('hex')}\n`, { mode: 0o600 });
const secretHash = sha256(SECRET);
const secretText = readFileSync(SECRET, 'utf8');
beforeAll(async () => {
  held = makeStore();
  id = held.store.open({}).sessionId;
  dir = sessionDir(id);
  await sh(held.store, id, `ln -s ${SECRET} leak; ln -s /etc linkdir; ln -s leak chain; mkfifo fifo; mkdir adir; echo inner > adir/file`);
});
afterAll(async () => {
  await held.close();
  if (scratch) rmSync(scratch, { recursive: true });
});
afterEach(() => {
  expect(sha256(SECRET)).toBe(secretHash);
  expect(readdirSync(dir).filter((n) => n.startsWith('.put-'))).toEqual([]);
});

/** The SandboxInputError that `fn` throws. */
function refused(fn: () => unknown): SandboxInputError {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(SandboxInputError);
  return err as SandboxInputError;
}

test('the controls: a regular file in a real directory is read; the planted link, followed, would leak the secret', () => {
  expect(held.store.getFile(id, 'adir/file').toString()).toBe('inner\n');
  expect(readFileSync(path.join(dir, 'leak'), 'utf8')).toBe(secretText);
});

test.each(['leak', '/workspace/leak', 'chain'])('getFile(%j), a link to /etc/shadow, is refused as a symbolic link and returns nothing of it', (p) => {
  const err = refused(() => held.store.getFile(id, p));
  expect(err.message).toBe(`getFile ${p}: '${p.split('/').pop()}' is a symbolic link: links in the work dir are never followed`);
  expect(err.message).not.toContain(secretText.split('\n')[0]);
});

test('getFile through a symlinked parent (linkdir -> /etc) is refused as a symbolic link', () => {
  const err = refused(() => held.store.getFile(id, 'linkdir/passwd'));
  expect(err.message).toBe("getFile linkdir/passwd: 'linkdir' is a symbolic link: links in the work dir are never followed");
  expect(refused(() => held.store.getFile(id, 'linkdir/shadow')).message).not.toContain(secretText.split('\n')[0]);
});

test('getFile of a FIFO is refused at once as not a regular file (it does not wait for a writer)', async () => {
  // Should the open block for a writer, this one comes after 3 s: the call would return late, not hang the tests.
  const writer = spawn('sh', ['-c', `sleep 3; exec 3>'${path.join(dir, 'fifo')}'`], { stdio: 'ignore' });
  try {
    const started = Date.now();
    const err = refused(() => held.store.getFile(id, 'fifo'));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(err.message).toBe('getFile fifo: not a regular file (FIFO): only regular files are read');
  } finally {
    writer.kill('SIGKILL');
  }
});

test('getFile of a directory is refused as not a regular file', () => {
  expect(refused(() => held.store.getFile(id, 'adir')).message).toBe('getFile adir: not a regular file (directory): only regular files are read');
});

test('putFile on a link to /etc/shadow is refused; /etc/shadow is unchanged and the link stays a link', () => {
  for (const p of ['leak', 'chain']) {
    expect(refused(() => held.store.putFile(id, p, Buffer.from('root::0:0:::::\n'))).message).toMatch(/symbolic link/);
  }
  expect(sha256(SECRET)).toBe(secretHash);
  expect(readlinkSync(path.join(dir, 'leak'))).toBe(SECRET);
});

test('putFile through a symlinked parent is refused, and nothing is created in /etc', () => {
  const name = `session-test-${randomBytes(4).toString('hex')}`;
  expect(refused(() => held.store.putFile(id, `linkdir/${name}`, Buffer.from('x'))).message).toMatch(/'linkdir' is a symbolic link/);
  expect(refused(() => held.store.putFile(id, `linkdir/${name}/deeper`, Buffer.from('x'))).message).toMatch(/'linkdir' is a symbolic link/);
  expect(existsSync(`/etc/${name}`)).toBe(false);
  expect(lstatSync(path.join(dir, 'linkdir')).isSymbolicLink()).toBe(true);
});

test('putFile on a FIFO or a directory is refused, and leaves it as it was', () => {
  expect(refused(() => held.store.putFile(id, 'fifo', Buffer.from('x'))).message).toBe('putFile fifo: there is a FIFO there: only a regular file is replaced');
  expect(refused(() => held.store.putFile(id, 'adir', Buffer.from('x'))).message).toBe('putFile adir: there is a directory there: only a regular file is replaced');
  expect(lstatSync(path.join(dir, 'fifo')).isFIFO()).toBe(true);
  expect(readdirSync(path.join(dir, 'adir'))).toEqual(['file']);
});

test('a regular file used as a directory is refused as not a directory', () => {
  expect(refused(() => held.store.getFile(id, 'adir/file/x')).message).toBe("getFile adir/file/x: 'file' is not a directory");
  expect(refused(() => held.store.putFile(id, 'adir/file/x', Buffer.from('x'))).message).toBe("putFile adir/file/x: 'file' is not a directory");
});

test.each(['missing', 'adir/missing', 'missing/deeper'])('getFile(%j) of nothing says there is no such file', (p) => {
  expect(refused(() => held.store.getFile(id, p)).message).toBe(`getFile ${p}: no such file in the session's work dir`);
});
