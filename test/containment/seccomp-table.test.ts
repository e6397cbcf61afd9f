// The seccomp filter against its table, number by number (docs/security-model.md, "Kernel
// backstops"). `sandbox-init seccomp-verdicts` evaluates the very program the helper installs
// with a small BPF interpreter; each answer is compared with native/syscalls.h for the helper's
// architecture, and the table with Docker's default profile. Then real runs on both backends
// meet the refusals from inside: socket families, an unknown number, fanotify, personality.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { runSandboxed, type Backend } from '../../sandbox';
import { DOCKER_ALLOWS, DOCKER_ALLOWS_WITH_ARGS } from './docker-profile';
import { AS_ROOT, VIEW_PYTHON } from './harness';

const REPO = path.resolve(__dirname, '..', '..', '..');
const TABLE = path.join(REPO, 'native', 'syscalls.h');

// ------------------------------------------------------------------ the table

type Arch = 'x64' | 'arm64';
type Row = { name: string; nr: Record<Arch, number | null>; action: string };
const ACTIONS = ['ALLOW', 'EPERM', 'ENOSYS', 'MODE_ARG1', 'MODE_ARG2', 'MODE_ARG3', 'CLONE_FLAGS', 'IOCTL_CMD', 'SOCKET_FAMILY', 'SOCKETPAIR_FAMILY', 'PERSONA'];
const REFUSING = new Set(['EPERM', 'ENOSYS']);
const NR_LIMIT = 1024;

/** The rows of syscalls.h; any line that is neither a row nor part of a comment is an error. */
function readTable(): Row[] {
  const rows: Row[] = [];
  let inComment = false;
  for (const [i, line] of readFileSync(TABLE, 'utf8').split('\n').entries()) {
    if (inComment || line.startsWith('/*')) {
      inComment = !line.includes('*/');
      continue;
    }
    if (line === '') continue;
    const m = /^SYSCALL\(([a-z0-9_]+), (\d+|ABSENT), (\d+|ABSENT), ([A-Z0-9_]+)\)(?: \/\* [^*]+ \*\/)?$/.exec(line);
    if (!m) throw new Error(`syscalls.h:${i + 1}: not a row: ${line}`);
    const num = (s: string) => (s === 'ABSENT' ? null : Number(s));
    rows.push({ name: m[1], nr: { x64: num(m[2]), arm64: num(m[3]) }, action: m[4] });
  }
  return rows;
}

const rows = readTable();
const byName = new Map(rows.map((r) => [r.name, r]));
const row = (name: string) => {
  const r = byName.get(name);
  if (!r) throw new Error(`syscalls.h has no ${name}`);
  return r;
};

test('the table: one row per call, numbers unique on each architecture and below 1024, a known action each', () => {
  expect(rows.length).toBeGreaterThan(300);
  expect(byName.size).toBe(rows.length);
  for (const arch of ['x64', 'arm64'] as const) {
    const numbers = rows.map((r) => r.nr[arch]).filter((n): n is number => n !== null);
    expect(new Set(numbers).size).toBe(numbers.length);
    for (const n of numbers) expect(n).toBeLessThan(NR_LIMIT);
  }
  for (const r of rows) expect([r.name, ACTIONS]).toEqual([r.name, expect.arrayContaining([r.action])]);
  // Spot checks against numbers everyone knows.
  expect(row('read').nr).toEqual({ x64: 0, arm64: 63 });
  expect(row('open').nr).toEqual({ x64: 2, arm64: null });
  expect(row('open_tree_attr').nr).toEqual({ x64: 467, arm64: 467 });
});

test("the table is at least as strict as Docker's default profile for a process without capabilities", () => {
  for (const r of rows) {
    if (REFUSING.has(r.action)) continue;
    const withArgs = DOCKER_ALLOWS_WITH_ARGS[r.name];
    if (withArgs) expect([r.name, r.action]).toEqual([r.name, withArgs.ours]);
    else expect([r.name, DOCKER_ALLOWS.has(r.name)]).toEqual([r.name, true]);
  }
  // What Docker allows and we refuse, each for a reason: openat2's mode lies behind a pointer the
  // filter cannot read (ENOSYS, and libc falls back to openat).
  const refusedHere = [...DOCKER_ALLOWS].filter((n) => REFUSING.has(row(n).action));
  expect(refusedHere).toEqual(['openat2']);
  for (const name of ['fanotify_init', 'unshare', 'setns', 'mount', 'open_tree_attr', 'kcmp', 'pidfd_getfd', 'lsm_list_modules', 'sethostname', 'bpf', 'perf_event_open', 'userfaultfd', 'keyctl']) {
    expect([name, row(name).action]).toEqual([name, 'EPERM']);
  }
  for (const name of ['clone3', 'io_uring_setup', 'io_uring_enter', 'io_uring_register', 'openat2']) expect([name, row(name).action]).toEqual([name, 'ENOSYS']);
  expect(row('ptrace').action).toBe('ALLOW'); // inside the run's PID namespace: debuggers and strace work
});

// ------------------------------------------------------------------ the filter, number by number

/** What the filter answers with every argument zero, by the row's action. */
function atZero(action: string | undefined): string {
  switch (action) {
    case undefined:
    case 'ENOSYS':
      return 'errno ENOSYS';
    case 'EPERM':
      return 'errno EPERM';
    case 'SOCKET_FAMILY':
    case 'SOCKETPAIR_FAMILY':
      return 'errno EAFNOSUPPORT'; // family 0, AF_UNSPEC
    default:
      return 'allow'; // every other check passes a zero mode, flag, command or persona
  }
}

const HELPERS: { file: string; arch: string }[] = [
  { file: 'dist/native/sandbox-init', arch: process.arch },
  { file: 'dist/native/linux-x64/sandbox-init', arch: 'x64' },
  { file: 'dist/native/linux-arm64/sandbox-init', arch: 'arm64' },
];
const QEMU: Record<string, string> = { x64: 'qemu-x86_64-static', arm64: 'qemu-aarch64-static' };
const onPath = (program: string) => spawnSync('sh', ['-c', 'command -v "$1"', 'sh', program]).status === 0;

type Verdicts = { lines: Map<string, string>; insns: number; longest: number };

/** Runs the helper's seccomp-verdicts and reads every line: "<probe> allow|errno NAME|ret 0xN". */
function verdicts(file: string, arch: string): Verdicts {
  const r = arch === process.arch ? spawnSync(file, ['seccomp-verdicts'], { encoding: 'utf8' }) : spawnSync(QEMU[arch], [file, 'seccomp-verdicts'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`${file} seccomp-verdicts: ${r.error ?? `exit ${r.status}: ${r.stderr}`}`);
  const lines = new Map<string, string>();
  let insns = NaN;
  let longest = NaN;
  for (const line of r.stdout.trimEnd().split('\n')) {
    const count = /^(insns|longest) (\d+)$/.exec(line);
    if (count) {
      if (count[1] === 'insns') insns = Number(count[2]);
      else longest = Number(count[2]);
      continue;
    }
    const m = /^(.+?) (allow|errno [A-Z0-9]+|ret 0x[0-9a-f]+)$/.exec(line);
    if (!m || lines.has(m[1])) throw new Error(`seccomp-verdicts: bad or repeated line: ${line}`);
    lines.set(m[1], m[2]);
  }
  return { lines, insns, longest };
}

describe.each(HELPERS)('$file: the filter it installs, probe by probe', ({ file, arch }) => {
  const full = path.join(REPO, file);
  const runnable = arch === process.arch || onPath(QEMU[arch] ?? '');
  const why = !existsSync(full) ? ' (skipped: not built here)' : !runnable ? ` (skipped: ${QEMU[arch]} is not installed)` : '';
  const t = why ? test.skip : test;
  let v: Verdicts;
  const get = () => (v ??= verdicts(full, arch));
  const nrOf = (name: string) => row(name).nr[arch as Arch];
  const expectProbe = (label: string, verdict: string) => expect([label, get().lines.get(label)]).toEqual([label, verdict]);

  t(`every number 0..1023 gets its row's action, every number the table lacks ENOSYS${why}`, () => {
    const actionOf = new Map<number, string>();
    for (const r of rows) if (r.nr[arch as Arch] !== null) actionOf.set(r.nr[arch as Arch]!, r.action);
    for (let nr = 0; nr < NR_LIMIT; nr++) expectProbe(`nr ${nr}`, atZero(actionOf.get(nr)));
    expect(actionOf.size).toBeGreaterThan(280);
  });

  t(`socket: AF_UNIX, AF_INET, AF_INET6, and AF_NETLINK with NETLINK_ROUTE only; socketpair: AF_UNIX only${why}`, () => {
    const families = new Set([1, 2, 10, 16]);
    for (let f = 0; f <= 50; f++) {
      expectProbe(`socket ${f}`, families.has(f) ? 'allow' : 'errno EAFNOSUPPORT');
      expectProbe(`socketpair ${f}`, f === 1 ? 'allow' : 'errno EAFNOSUPPORT');
    }
    expectProbe('socket 0x100000002', 'allow'); // the kernel reads the low 32 bits only: AF_INET
    for (let p = 0; p < 32; p++) expectProbe(`netlink ${p}`, p === 0 ? 'allow' : 'errno EPROTONOSUPPORT');
  });

  t(`personality: only Docker's five values${why}`, () => {
    for (const p of ['0x0', '0x8', '0x20000', '0x20008', '0xffffffff']) expectProbe(`personality ${p}`, 'allow');
    for (const p of ['0x1', '0x40000', '0x400000', '0x200008', '0xfffffffe']) expectProbe(`personality ${p}`, 'errno EPERM');
  });

  t(`clone with a namespace flag, TIOCSTI and TIOCLINUX, set-id modes: EPERM; the rest passes${why}`, () => {
    for (const f of ['0x11', '0x3d0f00', '0x4111']) expectProbe(`clone ${f}`, 'allow');
    for (const f of ['0x20011', '0x2000011', '0x4000011', '0x8000011', '0x10000011', '0x20000011', '0x40000011']) expectProbe(`clone ${f}`, 'errno EPERM');
    expectProbe('ioctl 0x5412', 'errno EPERM'); // TIOCSTI
    expectProbe('ioctl 0x541c', 'errno EPERM'); // TIOCLINUX
    for (const c of ['0x5401', '0x5413', '0x541b']) expectProbe(`ioctl ${c}`, 'allow'); // TCGETS, TIOCGWINSZ, FIONREAD
    const checked = rows.filter((r) => r.action.startsWith('MODE_ARG') && r.nr[arch as Arch] !== null);
    expect(checked.map((r) => r.name).sort()).toEqual(
      (arch === 'x64' ? ['chmod', 'creat', 'fchmod', 'fchmodat', 'fchmodat2', 'mknod', 'mknodat', 'open', 'openat'] : ['fchmod', 'fchmodat', 'fchmodat2', 'mknodat', 'openat']),
    );
    for (const r of checked) {
      for (const m of ['0644', '0755', '01777']) expectProbe(`mode ${r.name} ${m}`, 'allow');
      for (const m of ['04755', '02755', '06000', '0104755']) expectProbe(`mode ${r.name} ${m}`, 'errno EPERM');
    }
  });

  t(`a foreign ABI${arch === 'x64' ? ' and x32' : ''}: ENOSYS; a program of sane size and path${why}`, () => {
    expectProbe('foreign-arch', 'errno ENOSYS');
    if (arch === 'x64') expectProbe('x32', 'errno ENOSYS');
    expect(nrOf('getpid')).not.toBeNull();
    // The kernel takes up to 4096 instructions; a call is decided in a few comparisons.
    expect(get().insns).toBeLessThan(1024);
    expect(get().longest).toBeLessThanOrEqual(24);
    expect(get().lines.size).toBeGreaterThan(NR_LIMIT);
  });
});

// ------------------------------------------------------------------ from inside a real run

const X64 = process.arch === 'x64';
/** Python inside the run: each attempt as "ok" or its errno's name. */
const LIVE_PROBE = String.raw`import ctypes, errno, json, socket
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def name(e):
    return errno.errorcode.get(e, e)
def sock(family, kind, proto=0):
    try:
        socket.socket(family, kind, proto).close()
        return 'ok'
    except OSError as e:
        return name(e.errno)
def pair(family):
    try:
        for s in socket.socketpair(family, socket.SOCK_STREAM):
            s.close()
        return 'ok'
    except OSError as e:
        return name(e.errno)
def call(fn, *args):
    r = fn(*[ctypes.c_long(a) for a in args])
    return 'ok' if r != -1 else name(ctypes.get_errno())
S, D, R = socket.SOCK_STREAM, socket.SOCK_DGRAM, socket.SOCK_RAW
out = {
    'refused': {
        'AF_VSOCK': sock(40, S), 'AF_ALG': sock(38, S), 'AF_PACKET': sock(17, D), 'AF_KEY': sock(15, D),
        'AF_BLUETOOTH': sock(31, S), 'AF_RDS': sock(21, D), 'AF_TIPC': sock(30, D), 'AF_CAN': sock(29, D),
        'AF_XDP': sock(44, D), 'AF_AX25': sock(3, D), 'AF_UNSPEC': sock(0, S),
    },
    'netlink': {'NETLINK_AUDIT': sock(16, D, 9), 'NETLINK_SOCK_DIAG': sock(16, D, 4), 'NETLINK_KOBJECT_UEVENT': sock(16, D, 15)},
    'allowed': {
        'AF_UNIX stream': sock(1, S), 'AF_UNIX dgram': sock(1, D), 'AF_INET stream': sock(2, S), 'AF_INET dgram': sock(2, D),
        'AF_INET6 stream': sock(10, S), 'AF_INET6 dgram': sock(10, D), 'AF_NETLINK route': sock(16, R, 0),
        'AF_INET nonblocking cloexec': sock(2, S | socket.SOCK_NONBLOCK | socket.SOCK_CLOEXEC),
        'socketpair AF_UNIX': pair(1),
    },
    'socketpair AF_INET': pair(2),
    'syscall 1000': call(libc.syscall, 1000),
    'syscall 468': call(libc.syscall, 468, -1, 0, 0, 0, 0),
    'fanotify_init': call(libc.fanotify_init, 0x200, 0),
    'personality ADDR_NO_RANDOMIZE': call(libc.personality, 0x0040000),
    'personality query': call(libc.personality, 0xffffffff),
    'unshare CLONE_FILES': call(libc.unshare, 0x400),
}
if ${X64 ? 'True' : 'False'}:
    out['open_tree_attr'] = call(libc.syscall, 467, -1, 0, 0, 0, 0)
print(json.dumps(out))
`;

describe.each<Backend>(['bubblewrap', 'userns'])('backend %s, networkMode blocked: the refusals from inside', (backend) => {
  test('refused families EAFNOSUPPORT, other netlink protocols EPROTONOSUPPORT; unknown numbers ENOSYS; fanotify, personality, unshare EPERM', async () => {
    const result = await runSandboxed({ backend, networkMode: 'blocked', timeoutSeconds: 30, command: [VIEW_PYTHON, '-c', LIVE_PROBE] });
    expect({ exit: result.exitCode, stderr: result.stderr }).toEqual({ exit: 0, stderr: '' });
    const out = JSON.parse(result.stdout);
    for (const [family, how] of Object.entries(out.refused)) expect([family, how]).toEqual([family, 'EAFNOSUPPORT']);
    for (const [proto, how] of Object.entries(out.netlink)) expect([proto, how]).toEqual([proto, 'EPROTONOSUPPORT']);
    for (const [what, how] of Object.entries(out.allowed)) expect([what, how]).toEqual([what, 'ok']);
    expect(out['socketpair AF_INET']).toBe('EAFNOSUPPORT'); // the kernel itself would say EOPNOTSUPP
    expect(out['syscall 1000']).toBe('ENOSYS');
    expect(out['syscall 468']).toBe('ENOSYS'); // a call the table does not know, whether or not the kernel has it
    expect(out.fanotify_init).toBe('EPERM');
    expect(out['personality ADDR_NO_RANDOMIZE']).toBe('EPERM');
    expect(out['personality query']).toBe('ok');
    expect(out['unshare CLONE_FILES']).toBe('EPERM'); // refused outright, as Docker does without CAP_SYS_ADMIN
    if (X64) expect(out.open_tree_attr).toBe('EPERM');
  });
});

// The same probe on the host, without the filter: what the run met was the filter's answer.
(AS_ROOT ? test : test.skip)(`control: on the host the same calls pass or fail otherwise${AS_ROOT ? '' : ' (skipped: needs root for fanotify)'}`, () => {
  const r = spawnSync(VIEW_PYTHON, ['-c', LIVE_PROBE], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  const out = JSON.parse(r.stdout);
  expect(out.fanotify_init).toBe('ok');
  expect(out['personality ADDR_NO_RANDOMIZE']).toBe('ok');
  expect(out['socketpair AF_INET']).toMatch(/^(EOPNOTSUPP|ENOTSUP)$/); // Python names 95 either way
  expect(out.netlink.NETLINK_AUDIT).toBe('ok');
});
