// Files in and out of a real session (SessionStore.putFile / getFile on sandbox/session/files.ts):
// bytes arrive unchanged both ways, the size bounds hold to the byte, a write replaces atomically
// and leaves no temp file, the mode and (under root) the session's host user are applied, and a
// run in the session sees what was put, as the next getFile sees what the run wrote.
import { createHash } from 'node:crypto';
import { closeSync, lstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { SandboxInputError } from '../../sandbox/errors';
import { MAX_FILE_BYTES } from '../../sandbox/session/rules';
import { testAsRoot } from '../containment/harness';
import { makeStore, sessionDir, sh, thrown, type Held } from './harness';

const MiB = 1024 * 1024;
let held: Held;
let id: string;
let dir: string;
beforeAll(() => {
  held = makeStore();
  id = held.store.open({}).sessionId;
  dir = sessionDir(id);
});
afterAll(() => held.close());

test('binary data (every byte value) round-trips, and a run sees the same bytes', async () => {
  const data = Buffer.alloc(256 * 16, 0).map((_, i) => i % 256);
  expect(held.store.putFile(id, 'bin/all-bytes', data)).toEqual({ bytes: data.length });
  expect(held.store.getFile(id, 'bin/all-bytes').equals(data)).toBe(true);
  // Inside, the same bytes: the same digest, and byte 0 first, 255 at 255.
  const r = await sh(held.store, id, 'sha256sum < /workspace/bin/all-bytes; od -An -j255 -N1 -tu1 bin/all-bytes; od -An -N1 -tu1 bin/all-bytes');
  expect(r.stdout.split(/\s+/).filter((w) => w && w !== '-')).toEqual([createHash('sha256').update(data).digest('hex'), '255', '0']);
  // A plain Uint8Array (what a payload converter hands over) is written the same.
  held.store.putFile(id, 'bin/u8', new Uint8Array([0, 10, 13, 255]));
  expect([...held.store.getFile(id, 'bin/u8')]).toEqual([0, 10, 13, 255]);
});

test('an empty file round-trips, also with maxBytes 0', async () => {
  held.store.putFile(id, 'empty', Buffer.alloc(0));
  expect(held.store.getFile(id, 'empty')).toHaveLength(0);
  expect(held.store.getFile(id, 'empty', { maxBytes: 0 })).toHaveLength(0);
  expect((await sh(held.store, id, 'stat -c %s empty')).stdout).toBe('0\n');
  held.store.putFile(id, 'one', Buffer.from('x'));
  expect(thrown(() => held.store.getFile(id, 'one', { maxBytes: 0 })).message).toMatch(/is 1 bytes, more than maxBytes 0/);
});

test('exactly 1 MiB is read with the default maxBytes; one byte more is refused until maxBytes is raised', async () => {
  const mib = Buffer.alloc(MiB, 0x61);
  held.store.putFile(id, 'mib', mib);
  expect(held.store.getFile(id, 'mib').equals(mib)).toBe(true);
  // The run writes the larger one: a file made inside is bounded the same way.
  await sh(held.store, id, `head -c ${MiB + 1} /dev/zero > over`);
  const err = thrown(() => held.store.getFile(id, 'over'));
  expect(err).toBeInstanceOf(SandboxInputError);
  expect(err.message).toBe(`getFile over: the file is ${MiB + 1} bytes, more than maxBytes ${MiB}: raise maxBytes, or move it in parts`);
  expect(held.store.getFile(id, 'over', { maxBytes: MiB + 1 })).toHaveLength(MiB + 1);
  expect(held.store.getFile(id, 'over', { maxBytes: MAX_FILE_BYTES })).toHaveLength(MiB + 1);
});

test('putFile takes up to MAX_FILE_BYTES; one byte more is refused and nothing is written', () => {
  held.store.putFile(id, 'max', Buffer.alloc(MAX_FILE_BYTES, 1));
  expect(statSync(path.join(dir, 'max')).size).toBe(MAX_FILE_BYTES);
  expect(held.store.getFile(id, 'max', { maxBytes: MAX_FILE_BYTES })).toHaveLength(MAX_FILE_BYTES);
  expect(thrown(() => held.store.putFile(id, 'too-big', Buffer.alloc(MAX_FILE_BYTES + 1)))).toBeInstanceOf(SandboxInputError);
  expect(readdirSync(dir)).not.toContain('too-big');
});

test('putFile creates missing parent directories, and an absolute /workspace path names the same file', async () => {
  held.store.putFile(id, 'deep/er/still/file.txt', Buffer.from('deep\n'));
  for (const d of ['deep', 'deep/er', 'deep/er/still']) expect(lstatSync(path.join(dir, d)).isDirectory()).toBe(true);
  expect((await sh(held.store, id, 'cat /workspace/deep/er/still/file.txt')).stdout).toBe('deep\n');
  expect(held.store.getFile(id, '/workspace/deep/er/still/file.txt').toString()).toBe('deep\n');
  held.store.putFile(id, '/workspace/deep/abs.txt', Buffer.from('abs'));
  expect(held.store.getFile(id, 'deep/abs.txt').toString()).toBe('abs');
});

test('putFile replaces an existing file by rename: a reader of the old one keeps it whole, no temp file is left', () => {
  held.store.putFile(id, 'swap/f', Buffer.from('first version'));
  const before = statSync(path.join(dir, 'swap/f')).ino;
  const fd = openSync(path.join(dir, 'swap/f'), 'r');
  try {
    held.store.putFile(id, 'swap/f', Buffer.from('second'));
    // The old file was not truncated or written in place: its reader still reads all of it.
    const buf = Buffer.alloc(64);
    expect(buf.subarray(0, readSync(fd, buf, 0, 64, 0)).toString()).toBe('first version');
  } finally {
    closeSync(fd);
  }
  expect(statSync(path.join(dir, 'swap/f')).ino).not.toBe(before);
  expect(held.store.getFile(id, 'swap/f').toString()).toBe('second');
  expect(readdirSync(path.join(dir, 'swap'))).toEqual(['f']);
});

test('a refused putFile leaves nothing behind', async () => {
  await sh(held.store, id, 'mkdir -p refused/there');
  expect(thrown(() => held.store.putFile(id, 'refused/there', Buffer.from('x')))).toBeInstanceOf(SandboxInputError);
  expect(thrown(() => held.store.putFile(id, 'refused/x', Buffer.from('x'), { mode: 0o4755 }))).toBeInstanceOf(SandboxInputError);
  expect(readdirSync(path.join(dir, 'refused'))).toEqual(['there']);
});

test('the mode is applied as given (not narrowed by the worker\'s umask); default 0o644', async () => {
  const modes = [0o600, 0o644, 0o664, 0o755, 0o775, 0o777, 0o000];
  for (const mode of modes) held.store.putFile(id, `modes/m${mode.toString(8)}`, Buffer.from('#!/bin/sh\necho ran\n'), { mode });
  held.store.putFile(id, 'modes/default', Buffer.from('x'));
  for (const mode of modes) expect([mode, statSync(path.join(dir, `modes/m${mode.toString(8)}`)).mode & 0o7777]).toEqual([mode, mode]);
  expect(statSync(path.join(dir, 'modes/default')).mode & 0o7777).toBe(0o644);
  // An executable one runs inside the session.
  expect((await sh(held.store, id, './modes/m755')).stdout).toBe('ran\n');
});

test('a run sees the put file at /workspace/<path>, and a later getFile sees what the run wrote', async () => {
  held.store.putFile(id, 'io/in.txt', Buffer.from('from the host\n'));
  await sh(held.store, id, 'cd /workspace/io && tr a-z A-Z < in.txt > out.txt && mkdir -p made/by && echo run > made/by/run.txt');
  expect(held.store.getFile(id, 'io/out.txt').toString()).toBe('FROM THE HOST\n');
  expect(held.store.getFile(id, '/workspace/io/made/by/run.txt').toString()).toBe('run\n');
  // A file the run changed in place is read as changed.
  await sh(held.store, id, 'echo again >> io/in.txt');
  expect(held.store.getFile(id, 'io/in.txt').toString()).toBe('from the host\nagain\n');
});

testAsRoot('under root, put files and the dirs made for them are owned by the session\'s host user, who may change them', async () => {
  const uid = Number((await sh(held.store, id, 'id -u')).stdout);
  const gid = Number((await sh(held.store, id, 'id -g')).stdout);
  expect(uid).toBeGreaterThanOrEqual(1_000_000_000); // the default range, not root
  held.store.putFile(id, 'owned/sub/file', Buffer.from('x'), { mode: 0o600 });
  for (const p of ['', 'owned', 'owned/sub', 'owned/sub/file']) {
    const st = lstatSync(path.join(dir, p));
    expect([p, st.uid, st.gid]).toEqual([p, uid, gid]);
  }
  // Mode 0o600 and owned by the session: its run may read, write and remove it.
  expect((await sh(held.store, id, 'cat owned/sub/file; echo y >> owned/sub/file; rm -r owned; echo ok')).stdout).toBe('xok\n');
});

testAsRoot('under root, two sessions get two different host users', async () => {
  const other = held.store.open({}).sessionId;
  try {
    const a = (await sh(held.store, id, 'id -u')).stdout;
    const b = (await sh(held.store, other, 'id -u')).stdout;
    expect(a).not.toBe(b);
    expect(lstatSync(sessionDir(other)).uid).toBe(Number(b));
  } finally {
    await held.store.close(other);
  }
});
