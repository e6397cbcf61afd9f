// The view: exactly the granted host paths (read-only ones really read-only), refusals that say
// what to write, the worker's and the call's narrowing, the result's description of it, and the
// same view from both backends, read back from /proc/self/mountinfo inside.
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { runSandboxed, SandboxInputError, SandboxPolicyError, type Backend, type RunOptions } from '../../sandbox';
import { SYSTEM_PATHS } from '../../sandbox/policy/paths';
import { runCli } from '../support/cli';
import { AS_ROOT, VIEW_PYTHON, makeScratch, runCliJson, settle, startRecorder, type Scratch } from './harness';

const BACKENDS: readonly Backend[] = ['bubblewrap', 'userns'];

let scratch: Scratch;
let roDir: string;
let rwDir: string;
let otherDir: string;
let wd: string;
let link: string;
beforeAll(() => {
  scratch = makeScratch('sbx-view-');
  // Writable by anyone on the host, so that a refusal inside can only come from the mount.
  roDir = scratch.sub('ro', undefined, 0o777);
  rwDir = scratch.sub('rw', undefined, 0o777);
  otherDir = scratch.sub('other', undefined, 0o777);
  wd = scratch.sub('wd', undefined, 0o777);
  writeFileSync(path.join(roDir, 'file'), 'ro\n');
  chmodSync(path.join(roDir, 'file'), 0o666);
  writeFileSync(path.join(otherDir, 'file'), 'other\n');
  mkdirSync(path.join(roDir, 'sub'));
  link = path.join(scratch.dir, 'link-to-ro');
  symlinkSync(roDir, link);
});
afterAll(() => scratch?.remove());

/** The host's own filesystems, by device, to tell a host source from a fresh one inside. */
function hostDevices(): { root: string; proc: string; dev: string } {
  const byMount = new Map(readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n').map((l) => {
    const f = l.split(' ');
    return [f[4], f[2]] as const;
  }));
  return { root: byMount.get('/')!, proc: byMount.get('/proc')!, dev: byMount.get('/dev')! };
}

type Mount = { point: string; access: 'ro' | 'rw'; source: string };

/** mountinfo -> mount point, ro/rw, and what is mounted: a host path, a host device node, or a fresh fs. */
function parseMounts(text: string): Mount[] {
  const host = hostDevices();
  return text.trim().split('\n').map((line) => {
    const [left, right] = line.split(' - ');
    const f = left.split(' ');
    const [dev, root, point, opts] = [f[2], f[3], f[4], f[5]];
    const fstype = right.split(' ')[0];
    const source =
      dev === host.root ? `host:${root}` : dev === host.dev ? `host-dev:${root}` : dev === host.proc ? 'HOST-PROC' : `fresh:${fstype}${fstype === 'proc' ? root : ''}`;
    return { point, access: opts.split(',')[0] as 'ro' | 'rw', source };
  });
}

const unique = (ms: Mount[]) => [...new Set(ms.map((m) => `${m.point} ${m.access} ${m.source}`))].sort();

const SHOW = 'cat /proc/self/mountinfo; echo ==; find / -xdev -maxdepth 2 | sort; echo ==; ls -A /dev';
const UNMOUNT = 'for m in /proc /usr /etc /dev /tmp; do umount $m 2>/dev/null; umount -l $m 2>/dev/null; done; cat /proc/self/mountinfo';

describe('the same view from both backends', () => {
  const views = new Map<Backend, { mounts: Mount[]; find: string; dev: string; after: Mount[]; workdir: string; filesystem: any }>();
  beforeAll(async () => {
    for (const backend of BACKENDS) {
      const options: RunOptions = { backend, workdir: wd, readOnlyPaths: [roDir], readWritePaths: [rwDir], command: ['sh', '-c', `${SHOW}; echo ==; ${UNMOUNT}`] };
      const r = await runSandboxed(options);
      const [mountinfo, find, dev, after] = r.stdout.split('==\n');
      views.set(backend, { mounts: parseMounts(mountinfo), find, dev, after: parseMounts(after), workdir: r.workdir, filesystem: r.policy.filesystem });
    }
  });

  test('the same mount points with the same ro/rw flags and sources, the same top of the tree, the same /dev', () => {
    const [a, b] = BACKENDS.map((be) => views.get(be)!);
    expect(unique(a.mounts)).toEqual(unique(b.mounts));
    expect(a.find).toBe(b.find);
    expect(a.find.trim().split('\n')).toEqual(
      ['/', ...SYSTEM_PATHS.filter((p) => existsSync(p)), '/proc', '/tmp', '/dev'].sort(),
    );
    expect(a.dev).toBe(b.dev);
  });

  test.each(BACKENDS)('backend %s: no host path but the granted ones, host device nodes only the harmless ones, no host procfs', (backend) => {
    const v = views.get(backend)!;
    const hostPaths = new Set(v.mounts.filter((m) => m.source.startsWith('host:')).map((m) => `${m.point} ${m.access} ${m.source}`));
    const systemDirs = SYSTEM_PATHS.filter((p) => existsSync(p) && !lstatSync(p).isSymbolicLink());
    expect([...hostPaths].sort()).toEqual(
      [...systemDirs.map((p) => `${p} ro host:${p}`), `${roDir} ro host:${roDir}`, `${rwDir} rw host:${rwDir}`, `${wd} rw host:${wd}`].sort(),
    );
    const nodes = new Set(v.mounts.filter((m) => m.source.startsWith('host-dev:')).map((m) => m.source.slice('host-dev:'.length)));
    expect([...nodes].every((n) => ['/null', '/zero', '/full', '/random', '/urandom', '/tty'].includes(n))).toBe(true);
    expect(v.mounts.filter((m) => m.source === 'HOST-PROC')).toEqual([]);
    const access = Object.fromEntries(v.mounts.map((m) => [m.point, m.access]));
    expect(access).toMatchObject({ '/': 'ro', '/usr': 'ro', '/etc': 'ro', '/dev': 'ro', '/tmp': 'rw', '/dev/shm': 'rw', '/proc': 'rw', [roDir]: 'ro', [rwDir]: 'rw', [wd]: 'rw' });
  });

  test.each(BACKENDS)('backend %s: after every umount failed, nothing was uncovered', (backend) => {
    const v = views.get(backend)!;
    expect(unique(v.after)).toEqual(unique(v.mounts));
  });

  test.each(BACKENDS)('backend %s: result.workdir and result.policy.filesystem describe the view', (backend) => {
    const v = views.get(backend)!;
    expect(v.workdir).toBe(wd);
    const systemDirs = SYSTEM_PATHS.filter((p) => existsSync(p) && !lstatSync(p).isSymbolicLink());
    expect(v.filesystem).toEqual({
      root: 'fresh',
      readOnly: [...systemDirs, roDir],
      readWrite: [rwDir, wd],
      // The work dir lies in /tmp, so /tmp keeps its size limit alone; /dev/shm caps its files too.
      tmpfs: [`/tmp (${512 * 1024 * 1024} bytes)`, `/dev/shm (${512 * 1024 * 1024} bytes, ${(512 * 1024 * 1024) / 4096} files)`],
      masked: [],
    });
  });
});

describe.each(BACKENDS)('backend %s', (backend) => {
  test('readOnlyPaths is read-only (EROFS even where the host would allow the write), readWritePaths writable, nothing else there', async () => {
    const script = [
      'import errno, os, sys',
      'def t(f):',
      '    try: f(); return "ok"',
      '    except OSError as e: return errno.errorcode[e.errno]',
      `print(t(lambda: open("${roDir}/file", "a").close()), t(lambda: open("${roDir}/new", "w").close()), t(lambda: os.mkdir("${roDir}/sub/d")))`,
      `print(t(lambda: open("${rwDir}/made-inside-${backend}", "w").write("rw")))`,
      `print(open("${roDir}/file").read().strip(), t(lambda: os.listdir("${otherDir}")))`,
    ].join('\n');
    const r = await runSandboxed({ backend, readOnlyPaths: [roDir], readWritePaths: [rwDir], command: [VIEW_PYTHON, '-c', script] });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('EROFS EROFS EROFS\nok\nro ENOENT\n');
    expect(readFileSync(path.join(rwDir, `made-inside-${backend}`), 'utf8')).toBe('rw');
    expect(existsSync(path.join(roDir, 'new'))).toBe(false);
    expect(r.workdir).toBe('/workspace');
    expect(r.policy.filesystem.readOnly).toContain(roDir);
    expect(r.policy.filesystem.readWrite).toEqual([rwDir, '/workspace']);
  });

  test('--read-only and --read-write on the CLI do the same', async () => {
    const cwd = scratch.sub(`cli-${backend}`);
    const r = await runCliJson(
      ['--backend', backend, '--read-only', roDir, '--read-write', rwDir, '--', 'sh', '-c',
        `touch ${roDir}/x 2>&1 | grep -o 'Read-only file system'; echo cli > ${rwDir}/cli-${backend}; ls ${otherDir} 2>&1 | grep -o 'No such file'; pwd`],
      { cwd },
    );
    expect(r.result.stdout).toBe(`Read-only file system\nNo such file\n${cwd}\n`);
    expect(readFileSync(path.join(rwDir, `cli-${backend}`), 'utf8')).toBe('cli\n');
    expect(r.result.workdir).toBe(cwd);
    expect(r.result.policy.filesystem).toMatchObject({ root: 'fresh', readWrite: [rwDir, cwd] });
    expect(r.result.policy.filesystem.readOnly).toContain(roDir);
    // The CLI keeps the caller's uid: host uid 0 under a root test process, where PID 1 masks what
    // only root may read or write; for any other uid nothing needs masking.
    if (AS_ROOT) expect(r.result.policy.filesystem.masked).toEqual(expect.arrayContaining(['/etc/shadow', '/proc (read-only, hidepid=ptraceable)']));
    else expect(r.result.policy.filesystem.masked).toEqual([]);
  });
});

test('documented: a Unix socket in a read-only path can still be connected to (grant no dir holding one you would not hand over)', async () => {
  const dir = scratch.sub('with-socket');
  const sock = await startRecorder({ path: path.join(dir, 'service.sock') });
  try {
    chmodSync(path.join(dir, 'service.sock'), 0o777);
    const r = await runSandboxed({
      readOnlyPaths: [dir],
      command: [VIEW_PYTHON, '-c', `import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect("${dir}/service.sock")\ns.sendall(b"hello")\nprint("connected")`],
    });
    expect(r.stdout).toBe('connected\n');
    await settle(() => sock.data.join(''), (d) => d === 'hello');
    expect(sock.data.join('')).toBe('hello');
  } finally {
    await sock.close();
  }
});

describe('refusals say what to write', () => {
  const refuse = (options: Partial<RunOptions>) => runSandboxed({ command: ['true'], ...options });

  test.each<[string, Partial<RunOptions>, RegExp]>([
    ['/', { readOnlyPaths: ['/'] }, /readOnlyPaths entry '\/' would add the whole host: name a directory of your own/],
    ['/proc', { readOnlyPaths: ['/proc'] }, /'\/proc' would add \/proc \(the view has a fresh one of its own\)/],
    ['/sys/x', { readOnlyPaths: ['/sys/x'] }, /'\/sys\/x' would add \/sys \(the view has a fresh one of its own\)/],
    ['/dev', { readWritePaths: ['/dev'] }, /readWritePaths entry '\/dev' would add \/dev/],
    ['relative', { readOnlyPaths: ['tools/bin'] }, /'tools\/bin' is relative: write an absolute path such as '\/opt\/tools'/],
    ['/a/../b', { readOnlyPaths: ['/a/../b'] }, /'\/a\/\.\.\/b' is not canonical: write '\/b'/],
    ['/a/', { readOnlyPaths: ['/a/'] }, /'\/a\/' is not canonical: write '\/a'/],
    ['//a', { readOnlyPaths: ['//a'] }, /'\/\/a' is not canonical: write '\/a'/],
    ['read-write /usr/local/x', { readWritePaths: ['/usr/local/x'] }, /'\/usr\/local\/x' would make the system directory \/usr writable: list it in readOnlyPaths/],
    ['read-write /etc', { readWritePaths: ['/etc'] }, /'\/etc' would make the system directory \/etc writable/],
  ])('%s', async (_name, options, message) => {
    await expect(refuse(options)).rejects.toThrow(SandboxPolicyError);
    await expect(refuse(options)).rejects.toThrow(message);
  });

  test('a missing path, and a path through a symlink (the message names the real path)', async () => {
    const missing = path.join(scratch.dir, 'no-such-dir');
    await expect(refuse({ readOnlyPaths: [missing] })).rejects.toThrow(SandboxPolicyError);
    await expect(refuse({ readOnlyPaths: [missing] })).rejects.toThrow(`readOnlyPaths entry '${missing}' does not exist on this worker: create it, or remove the entry`);
    await expect(refuse({ readWritePaths: [link] })).rejects.toThrow(SandboxPolicyError);
    await expect(refuse({ readWritePaths: [link] })).rejects.toThrow(`readWritePaths entry '${link}' goes through a symlink: write '${realpathSync(link)}'`);
  });

  test('the CLI says it in one line, exit 125', async () => {
    const r = await runCli(['run', '--read-only', 'relative', '--', 'true'], { cwd: scratch.dir });
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(/^temporal-sandbox: readOnlyPaths entry 'relative' is relative: write an absolute path/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  test.each(['/', '/usr', '/etc/ssl', '/usr/local/lib', '/proc/self', '/sys/fs', '/dev/shm'])('a given work dir %s is refused', async (dir) => {
    const p = refuse({ workdir: dir });
    await expect(p).rejects.toThrow(SandboxInputError);
    await expect(p).rejects.toThrow(/would put .* in the view read-write: run from a directory of your own, or pass --workdir DIR/);
  });

  test('the CLI refuses to run in / and with --workdir /etc', async () => {
    const inRoot = await runCli(['run', '--', 'true'], { cwd: '/' });
    expect(inRoot.code).toBe(125);
    expect(inRoot.stderr).toMatch(/the whole host/);
    const inEtc = await runCli(['run', '--workdir', '/etc', '--', 'true'], { cwd: scratch.dir });
    expect(inEtc.code).toBe(125);
    expect(inEtc.stderr).toMatch(/\/etc in the view read-write/);
  });
});

describe('narrowing: the worker caps what a session adds, a call only narrows', () => {
  test('worker allowedPaths: a path within is added, one outside is refused, an empty list refuses all', async () => {
    const within = path.join(roDir, 'sub');
    const ok = await runSandboxed({ worker: { allowedPaths: [roDir] }, readOnlyPaths: [within], command: ['ls', within] });
    expect(ok.exitCode).toBe(0);
    expect(ok.policy.filesystem.readOnly).toContain(within);
    await expect(runSandboxed({ worker: { allowedPaths: [roDir] }, readOnlyPaths: [otherDir], command: ['true'] })).rejects.toThrow(
      new RegExp(`readOnlyPaths entry '${otherDir}' is not within the worker allowedPaths \\['${roDir}'\\]: remove it, or widen`),
    );
    await expect(runSandboxed({ worker: { allowedPaths: [roDir] }, readWritePaths: [rwDir], command: ['true'] })).rejects.toThrow(SandboxPolicyError);
    const empty = runSandboxed({ worker: { allowedPaths: [] }, readOnlyPaths: [roDir], command: ['true'] });
    await expect(empty).rejects.toThrow(SandboxPolicyError);
    await expect(empty).rejects.toThrow(/not within the worker allowedPaths \[\] \(empty\)/);
    // Nothing added: nothing to cap.
    expect((await runSandboxed({ worker: { allowedPaths: [] }, command: ['true'] })).exitCode).toBe(0);
  });

  test('call readOnlyPaths narrows the session\'s: the dropped path is gone from the view; a new one is refused', async () => {
    const r = await runSandboxed({
      readOnlyPaths: [roDir, otherDir],
      call: { readOnlyPaths: [roDir] },
      command: ['sh', '-c', `cat ${roDir}/file; ls ${otherDir} 2>&1 | grep -o 'No such file'`],
    });
    expect(r.stdout).toBe('ro\nNo such file\n');
    expect(r.policy.filesystem.readOnly).toContain(roDir);
    expect(r.policy.filesystem.readOnly).not.toContain(otherDir);
    const p = runSandboxed({ readOnlyPaths: [roDir], call: { readOnlyPaths: [otherDir] }, command: ['true'] });
    await expect(p).rejects.toThrow(SandboxPolicyError);
    await expect(p).rejects.toThrow(/run\(\) readOnlyPaths entry .* is not within the session paths/);
  });

  test('workdirInside puts a given work dir where asked; result.workdir says where', async () => {
    const r = await runSandboxed({ workdir: wd, workdirInside: '/src', command: ['pwd'] });
    expect(r.stdout).toBe('/src\n');
    expect(r.workdir).toBe('/src');
    expect(r.policy.filesystem.readWrite).toEqual(['/src']);
  });
});

describe.each(BACKENDS)('backend %s: less of the host in view', (backend) => {
  test("PID 1's command line holds no host path (it named every bind and Landlock rule)", async () => {
    const r = await runSandboxed({ backend, command: ['sh', '-c', 'tr "\\0" "\\n" < /proc/1/cmdline | grep -v "^$"'] });
    expect(r.stdout).toBe('sandbox-init\n');
  });
});
