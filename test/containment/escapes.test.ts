// Escapes tried from inside a run, for four real callers (a root worker, the root CLI, an
// unprivileged worker, the unprivileged CLI), both backends, blocked and allowlist: one sandbox
// run per combination, each running the whole probe (probe.ts). Every effect is also checked
// from outside: servers that record connections, canary files, a signal counter, a descriptor
// that must never reach a command. The same probe run on the host first is the positive control.
// Under a non-root test user the unprivileged callers are that user, and the root ones (and the
// controls only root can show on the host) are skipped (harness.ts).
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Backend, RunResult } from '../../sandbox';
import { SYSTEM_PATHS } from '../../sandbox/policy/paths';
import { REPO } from '../support/cli';
import {
  AS_ROOT, CALLERS, LEAK_FD, NEEDS_ROOT, RANGE_COUNT, RANGE_FIRST, ROOT_ONLY_CALLERS, UNPRIVILEGED, UNPRIVILEGED_GID, callerEnv, connectTo,
  isCli, isNobody, makeScratch, runCliJson, runWorker, startRecorder, startSignalTarget, testAsRoot, type Caller, type Recorder, type Scratch,
  type SignalTarget, type WorkerJob,
} from './harness';
import { probeCommand, type Attempt, type ProbeConfig, type ProbeReport } from './probe';

const BACKENDS: readonly Backend[] = ['bubblewrap', 'userns'];
const POSTURES = ['blocked', 'allowlist'] as const;
type Posture = (typeof POSTURES)[number] | 'open';
const SECRET_NAME = 'SBX_CONTAINMENT_SECRET';
const SECRET = randomBytes(8).toString('hex');
const CREATE_NAME = `sbx-escape-${randomBytes(4).toString('hex')}`;
const DIST_FILE = path.join(REPO, 'dist', 'sandbox', 'index.js');
/** The documented /dev of the view. */
// 'core' is bubblewrap's link to /proc/kcore (which needs CAP_SYS_RAWIO); the userns view makes the same one.
const VIEW_DEV = ['core', 'fd', 'full', 'null', 'ptmx', 'pts', 'random', 'shm', 'stderr', 'stdin', 'stdout', 'tty', 'urandom', 'zero'];
// The run's own ones. Neither backend makes a time namespace: the host's is in sight, and setns refuses it like the rest.
const NAMESPACES = ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'user', 'uts'];

type Run = { caller: Caller; backend: Backend; posture: Posture; result?: RunResult; report?: ProbeReport; failure?: string; hostWorkdir?: string };
const runs = new Map<string, Run>();
const key = (c: Caller, b: Backend, p: Posture) => `${c}|${b}|${p}`;

let scratch: Scratch;
let tcp: Recorder;
let tcpOpen: Recorder;
let unixRec: Recorder;
let abstractRec: Recorder;
let leak: Recorder;
let hostReport: ProbeReport;
let baseline: { tcp: number; unix: number; abstract: number };
let target: SignalTarget;
const leakSockets: net.Socket[] = [];
let canary: { outside: string; roDir: string; roFile: string; canaryDir: string; tmp: string };
let hashes: Map<string, string>;
let blockDevs: string[];

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
function snapshot(): Map<string, string> {
  const m = new Map<string, string>();
  for (const p of [canary.outside, canary.roFile, path.join(canary.canaryDir, 'keep.txt')]) {
    const st = statSync(p);
    m.set(p, `${sha(p)} ${st.mtimeMs} ${st.mode}`);
  }
  m.set(DIST_FILE, sha(DIST_FILE)); // content only: the other side of the checkout may rebuild meanwhile
  m.set(canary.roDir, readdirSync(canary.roDir).sort().join(','));
  m.set(canary.canaryDir, readdirSync(canary.canaryDir).sort().join(','));
  return m;
}

function config(tag: string, mode: 'sandbox' | 'host' = 'sandbox', tcpPort = tcp.port): ProbeConfig {
  return {
    mode, tag, hostPid: target.pid, tcpPort, unixPath: unixRec.address, abstractName: abstractName(),
    outsideFile: canary.outside, roDir: canary.roDir, roFile: canary.roFile, distFile: DIST_FILE, createName: CREATE_NAME,
    blockDevs, canaryDir: canary.canaryDir, leakFd: LEAK_FD, secretName: SECRET_NAME,
  };
}
let abstractSuffix = '';
const abstractName = () => `sbx-containment-${abstractSuffix}`;

function parseReport(run: Run): void {
  const r = run.result!;
  try {
    run.report = JSON.parse(r.stdout);
  } catch {
    run.failure = `the probe printed no report (exit ${r.exitCode}, ${r.signal}):\n${r.stdout.slice(0, 2000)}\n${r.stderr.slice(0, 2000)}`;
  }
}

async function workerCaller(caller: Caller): Promise<void> {
  const nobody = isNobody(caller);
  const combos: Array<[Backend, Posture]> = [];
  for (const b of BACKENDS) for (const p of [...POSTURES, 'open' as const]) combos.push([b, p]);
  const jobs: WorkerJob[] = combos.map(([backend, posture]) => ({
    backend,
    networkMode: posture,
    ...(posture === 'allowlist' ? { networkAllowlist: ['example.test'] } : {}),
    readOnlyPaths: [canary.roDir],
    timeoutSeconds: 30,
    command: probeCommand(config(`${caller}-${backend}-${posture}`.replace(/ /g, '_'), 'sandbox', posture === 'open' ? tcpOpen.port : tcp.port)),
  }));
  const sock = await connectTo(leak.port);
  leakSockets.push(sock);
  const out = await runWorker({ runs: jobs, controlFd: LEAK_FD }, { nobody, leak: sock, env: callerEnv(nobody, { [SECRET_NAME]: SECRET }) });
  combos.forEach(([backend, posture], i) => {
    const run: Run = { caller, backend, posture };
    runs.set(key(caller, backend, posture), run);
    if (out[i]?.error) run.failure = `${out[i].error!.name}: ${out[i].error!.message}`;
    else {
      run.result = out[i].result;
      parseReport(run);
    }
  });
}

async function cliCaller(caller: Caller): Promise<void> {
  const nobody = isNobody(caller);
  for (const backend of BACKENDS) {
    for (const posture of POSTURES) {
      const tag = `${caller}-${backend}-${posture}`.replace(/ /g, '_');
      const wd = scratch.sub(`wd-${tag}`, nobody ? UNPRIVILEGED : undefined);
      const run: Run = { caller, backend, posture, hostWorkdir: wd };
      runs.set(key(caller, backend, posture), run);
      const sock = await connectTo(leak.port);
      leakSockets.push(sock);
      const r = await runCliJson(
        [
          '--backend', backend, '--network', posture, ...(posture === 'allowlist' ? ['--allow', 'example.test'] : []),
          '--read-only', canary.roDir, '--timeout', '30', '--', ...probeCommand(config(tag)),
        ],
        { nobody, cwd: wd, leak: sock, env: callerEnv(nobody, { [SECRET_NAME]: SECRET }) },
      ).catch((err: Error) => ({ code: null, result: undefined, stderr: err.message }));
      if (!r.result) run.failure = r.stderr;
      else {
        run.result = r.result;
        parseReport(run);
      }
    }
  }
}

function hostProbe(): Promise<ProbeReport> {
  const wd = scratch.sub('host-wd');
  return new Promise((resolve, reject) => {
    const [file, ...args] = probeCommand(config('host-control', 'host'));
    // In a process group of its own: nothing it signals can reach the test runner's.
    const child = spawn(file, args, { cwd: wd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`the host probe exited ${code}\n${stderr}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

beforeAll(async () => {
  target = await startSignalTarget();
  scratch = makeScratch('sbx-esc-');
  abstractSuffix = randomBytes(6).toString('hex');
  const outsideDir = scratch.sub('outside');
  const roDir = scratch.sub('ro');
  const canaryDir = scratch.sub('canary');
  canary = {
    outside: path.join(outsideDir, 'secret.txt'),
    roDir,
    roFile: path.join(roDir, 'keep.txt'),
    canaryDir,
    tmp: path.join(realpathSync(tmpdir()), `sbx-tmp-canary-${abstractSuffix}`),
  };
  writeFileSync(canary.outside, 'outside the view\n', { mode: 0o644 });
  writeFileSync(canary.roFile, 'read-only canary\n', { mode: 0o644 });
  writeFileSync(path.join(canaryDir, 'keep.txt'), 'the cleanup must not reach this\n', { mode: 0o644 });
  writeFileSync(canary.tmp, 'a host file in /tmp\n');
  blockDevs = readdirSync('/dev').map((n) => `/dev/${n}`).filter((p) => lstatSync(p).isBlockDevice());
  hashes = snapshot();
  [tcp, tcpOpen, unixRec, abstractRec, leak] = await Promise.all([
    startRecorder({ port: 0, host: '127.0.0.1' }),
    startRecorder({ port: 0, host: '127.0.0.1' }),
    startRecorder({ path: path.join(scratch.sub('sockets'), 'host.sock') }),
    startRecorder({ path: `\0${abstractName()}` }),
    startRecorder({ port: 0, host: '127.0.0.1' }),
  ]);
  hostReport = await hostProbe();
  // The control's own connections, and its one SIGUSR2; nothing from a sandbox may add to them.
  await new Promise((r) => setTimeout(r, 200));
  baseline = { tcp: tcp.connections, unix: unixRec.connections, abstract: abstractRec.connections };
  await Promise.all(CALLERS.map((c) => (isCli(c) ? cliCaller(c) : workerCaller(c))));
  await new Promise((r) => setTimeout(r, 100));
}, 120_000);

afterAll(async () => {
  await target?.stop();
  for (const s of leakSockets) s.destroy();
  await Promise.all([tcp, tcpOpen, unixRec, abstractRec, leak].map((r) => r?.close()));
  scratch?.remove();
  for (const p of [canary?.tmp, `/usr/${CREATE_NAME}`, `/etc/cron.d/${CREATE_NAME}`, path.join(path.dirname(DIST_FILE), CREATE_NAME)]) {
    if (p && existsSync(p)) rmSync(p, { force: true });
  }
});

/**
 * Whose set-uid or set-gid file would hand a host user more than they have: root's; under a
 * non-root test user also that user's (the unprivileged callers' own, which is all they can make).
 */
const PRIVILEGED_UIDS = AS_ROOT ? [0] : [0, UNPRIVILEGED];
const PRIVILEGED_GIDS = AS_ROOT ? [0] : [0, UNPRIVILEGED_GID];
const OF_WHOM = AS_ROOT ? 'root' : 'root or of the test user';

/** Files of `dir` that are set-uid or set-gid to root (or, under a non-root test user, to that user). */
function privilegedFiles(dir: string): string[] {
  return readdirSync(dir)
    .map((name) => [name, lstatSync(path.join(dir, name))] as const)
    .filter(([, st]) => (st.mode & 0o6000) !== 0 && (PRIVILEGED_UIDS.includes(st.uid) || PRIVILEGED_GIDS.includes(st.gid)))
    .map(([name, st]) => `${name} mode ${(st.mode & 0o7777).toString(8)} uid ${st.uid} gid ${st.gid}`);
}

/**
 * How PID 1's /proc entries refuse the command. Under a host uid 0 they would belong to it (the
 * root of its user namespace is its own uid), so /proc is mounted hidepid=ptraceable there and
 * PID 1 is not in sight at all; elsewhere they belong to an uid the command is not.
 */
const pid1Refused = (caller: string): RegExp => (caller === 'root CLI' ? /^(ENOENT|EPERM)$/ : /^EACCES$/);
const failed = (a: Attempt | undefined) => (a && !a.ok ? a.errno : a ? 'SUCCEEDED' : 'not attempted');

const writable = (p: string) => {
  try {
    accessSync(p, constants.W_OK);
    return true;
  } catch {
    return false;
  }
};
/** Yama's ptrace_scope: above 0, only CAP_SYS_PTRACE may trace a process that is not a descendant. */
const ptraceScope = (() => {
  try {
    return Number(readFileSync('/proc/sys/kernel/yama/ptrace_scope', 'utf8'));
  } catch {
    return 0;
  }
})();
/** What the probe may do on the host as any test user, and what as root only (the host refuses the rest to anyone else). */
const HOST_CONTROL = [
  'tcp_host', 'unix_path', 'unix_abstract', 'write_etc_passwd', 'write_usr_bin', 'write_dist', 'read_shadow', 'list_root',
  'read_outside', 'write_ro', 'mknod_block', 'mknod_char', 'write_core_pattern', 'setuid_file', 'ptrace_host', 'prochost_root',
  'prochost_environ', 'write_oom_adj', 'kill_host', 'kill_pid1', 'symlink_leak', 'through_canary_link', 'mount_tmpfs', 'chroot', 'fsopen',
  'setns', 'unshare_user', 'unshare_time', 'clone_ns', 'unshare_cmd', 'io_uring_setup', 'add_key', 'keyctl', 'userfaultfd', 'tiocsti',
  'socket_packet', 'fanotify_init', 'read_kpageflags', 'read_slabinfo',
];
const HOST_CONTROL_ROOT_ONLY = new Set([
  'write_etc_passwd', 'write_usr_bin', 'read_shadow', 'list_root', 'mknod_block', 'mknod_char', 'write_core_pattern', 'kill_pid1',
  'symlink_leak', 'mount_tmpfs', 'chroot', 'fsopen', 'setns', 'unshare_time', 'clone_ns', 'userfaultfd',
  'socket_packet', 'fanotify_init', 'read_kpageflags', 'read_slabinfo',
  ...(writable(DIST_FILE) ? [] : ['write_dist']), // the checkout may be the test user's own
  ...(ptraceScope === 0 ? [] : ['ptrace_host']),
]);

describe('the probe on the host, outside any sandbox (the positive control)', () => {
  test('reaches the servers, signals and traces the test\'s target process, opens what the sandbox must refuse', () => {
    const h = hostReport;
    for (const name of HOST_CONTROL.filter((n) => !HOST_CONTROL_ROOT_ONLY.has(n))) {
      expect([name, h[name]?.ok]).toEqual([name, true]);
    }
    expect(tcp.data.join('')).toContain('tcp from host-control');
    expect(unixRec.data.join('')).toContain('unix from host-control');
    expect(abstractRec.data.join('')).toContain('unix from host-control');
    expect(target.count()).toBe(1);
    expect((h.symlink_escape as any).value).toEqual(expect.arrayContaining(['root', 'home', 'work']));
    expect(h.setuid_file).toEqual({ ok: true, value: '0o6755' });
    expect(privilegedFiles(path.join(scratch.dir, 'host-wd'))).toEqual([expect.stringMatching(/^setuid-host-control mode 6755/)]);
    expect((h.tmp_listing as any).value).toContain(path.basename(canary.tmp));
  });

  testAsRoot('as root it also writes system files and sysctls, reads /etc/shadow, makes device nodes, mounts, joins and makes namespaces, signals PID 1', () => {
    const h = hostReport;
    for (const name of HOST_CONTROL.filter((n) => HOST_CONTROL_ROOT_ONLY.has(n))) {
      expect([name, h[name]?.ok]).toEqual([name, true]);
    }
  });

  test('the calls the filter answers differ on the host: ia32 getpid returns the pid, clone3/bpf/perf are not EPERM or ENOSYS', () => {
    const h = hostReport;
    expect(h.int80).toEqual({ ok: true, value: { pid: expect.any(Number), own: expect.any(Number) } });
    expect((h.int80 as any).value.pid).toBe((h.int80 as any).value.own);
    expect(failed(h.clone3)).toBe('EINVAL'); // clone3 with size 0: the kernel looked at it
    expect(failed(h.bpf)).not.toMatch(/EPERM|ENOSYS/);
    expect(failed(h.perf_event_open)).not.toMatch(/EPERM|ENOSYS/);
    // This kernel is built without x32: ENOSYS here too, so the filter's x32 rule cannot be seen.
    expect(failed(h.x32)).toBe('ENOSYS');
  });

  testAsRoot('the host has what the view must not show: capabilities', () => {
    expect((hostReport.status as any).value.CapEff).not.toBe('0000000000000000');
  });

  test('the host has what the view must not show: its namespaces, no seccomp filter, block devices', () => {
    const h = hostReport;
    expect((h.status as any).value.Seccomp).toBe('0');
    expect(blockDevs.length).toBeGreaterThan(0);
    expect(h.dev_listing).toEqual(expect.arrayContaining(blockDevs.map((d) => path.basename(d))));
    for (const ns of NAMESPACES) expect(h.ns_seen).toContain(readlinkSync(`/proc/self/ns/${ns}`));
  });
});

const hostNs = () => NAMESPACES.map((n) => readlinkSync(`/proc/self/ns/${n}`));

function callerTests(caller: Caller): void {
  const rootCli = caller === 'root CLI';
  /** Permission checks come before the read-only mount's: only host uid 0 (the owner) meets EROFS. */
  const notWritable = rootCli ? 'EROFS' : 'EACCES';
  /** The same for the read-only canary, which is the test user's: under a non-root one, the unprivileged callers' own. */
  const roNotWritable = rootCli || (!AS_ROOT && isNobody(caller)) ? 'EROFS' : 'EACCES';

  describe.each(BACKENDS)('backend %s', (backend) => {
    describe.each(POSTURES)('%s', (posture) => {
      const get = () => {
        const run = runs.get(key(caller, backend, posture));
        if (!run || run.failure || !run.report) throw new Error(`no report for ${caller} ${backend} ${posture}: ${run?.failure ?? 'not run'}`);
        return { result: run.result!, p: run.report, run };
      };

      test('the run completes and reports the backstops for this caller', () => {
        const { result, p } = get();
        expect(result.exitCode).toBe(0);
        const b = result.policy.backstops;
        expect(b).toMatchObject({ userNamespace: true, capabilities: 'none', seccomp: true, landlock: { abi: 7 } });
        if (caller === 'root worker') {
          expect(b.hostUid).toBeGreaterThanOrEqual(RANGE_FIRST);
          expect(b.hostUid).toBeLessThan(RANGE_FIRST + RANGE_COUNT);
          expect(b.hostGid).toBe(b.hostUid);
        } else {
          expect(b.hostUid).toBe(caller === 'root CLI' ? 0 : UNPRIVILEGED);
          expect(b.hostGid).toBe(caller === 'root CLI' ? 0 : UNPRIVILEGED_GID);
        }
        expect(p.ids).toEqual([b.hostUid, b.hostUid, b.hostGid, b.hostGid]); // mapped to itself
      });

      test('namespaces: /proc cannot be unmounted, none of the host namespaces is in sight, none can be joined', () => {
        const { p } = get();
        expect(failed(p.umount_proc)).toBe('EPERM');
        const seen = new Set(p.ns_seen);
        for (const ns of hostNs()) expect([ns, seen.has(ns)]).toEqual([ns, false]);
        expect(p.ns_seen.length).toBeGreaterThanOrEqual(NAMESPACES.length);
        const joined = (p.setns_all as any).value as Record<string, string>;
        expect(Object.keys(joined).length).toBe(p.ns_seen.length);
        for (const [ns, how] of Object.entries(joined)) expect([ns, how]).toEqual([ns, 'EPERM']);
        expect(failed(p.nsenter_self)).toBe('EPERM');
        expect(failed(p.nsenter_pid1)).toMatch(pid1Refused(caller)); // PID 1's /proc entries are not ours to open
      });

      test('network: neither the host loopback server nor its Unix sockets (path, abstract) can be reached', () => {
        const { p } = get();
        expect(failed(p.tcp_host)).toBe('ECONNREFUSED');
        expect(failed(p.unix_path)).toBe('ENOENT');
        expect(failed(p.unix_abstract)).toBe('ECONNREFUSED'); // another network namespace's abstract names
      });

      test('host files: system files and read-only paths are not writable, secrets and the rest are not there', () => {
        const { p } = get();
        expect(failed(p.write_etc_passwd)).toBe(notWritable);
        expect(failed(p.write_usr_bin)).toBe(notWritable);
        expect(failed(p.create_usr)).toBe('EROFS');
        expect(failed(p.create_cron)).toBe('EROFS');
        expect(failed(p.write_dist)).toBe('ENOENT');
        expect(failed(p.create_dist)).toBe('ENOENT');
        expect(failed(p.read_shadow)).toBe('EACCES');
        expect(failed(p.list_root)).toBe('ENOENT');
        expect(failed(p.read_outside)).toBe('ENOENT');
        expect(p.read_ro).toEqual({ ok: true, value: 'read-only canary\n' });
        expect(failed(p.write_ro)).toBe(roNotWritable);
        expect(failed(p.create_in_ro)).toBe('EROFS');
      });

      test('/dev is exactly the documented minimal one', () => {
        expect(get().p.dev_listing).toEqual(VIEW_DEV);
      });

      test('devices and kernel settings: no host block device, no mknod, sysctls read-only', () => {
        const { p } = get();
        const opened = (p.open_block as any).value as Record<string, string>;
        expect(Object.keys(opened).sort()).toEqual([...blockDevs].sort());
        for (const [dev, how] of Object.entries(opened)) expect([dev, how]).toEqual([dev, 'ENOENT']);
        expect(failed(p.mknod_block)).toBe('EACCES'); // Landlock refuses device nodes before the capability check
        expect(failed(p.mknod_char)).toBe('EACCES');
        expect(failed(p.write_core_pattern)).toBe(notWritable);
        // This kernel has no /proc/sysrq-trigger (no CONFIG_MAGIC_SYSRQ); where it exists it must be refused too.
        expect(failed(p.write_sysrq)).toBe(existsSync('/proc/sysrq-trigger') ? notWritable : 'ENOENT');
      });

      test('processes: PID 1 cannot be traced, read or signalled; the host\'s processes are not there', () => {
        const { p } = get();
        // For contrast, its own: readable, traceable, signallable.
        expect(p.proc_self_environ).toEqual({ ok: true, value: expect.any(Number) });
        expect(p.ptrace_own).toEqual({ ok: true, value: 'attached' });
        expect(p.kill_own).toEqual({ ok: true, value: 'sent' });
        expect(failed(p.ptrace_pid1)).toBe('EPERM');
        expect(failed(p.ptrace_host)).toBe('ESRCH');
        expect(failed(p.proc1_root)).toMatch(pid1Refused(caller));
        expect(failed(p.proc1_environ)).toMatch(pid1Refused(caller));
        expect(failed(p.proc1_mem)).toMatch(pid1Refused(caller));
        for (const [fd, how] of Object.entries((p.proc1_fd_open as any).value as Record<string, string>)) {
          expect([fd, how]).toEqual([fd, expect.stringMatching(/^(EACCES|ENOENT|EPERM)$/)]);
        }
        expect(failed(p.prochost_root)).toBe('ENOENT');
        expect(failed(p.prochost_environ)).toBe('ENOENT');
        expect(failed(p.kill_host)).toBe('ESRCH');
        expect(failed(p.kill_pid1)).toBe('EPERM'); // Landlock's signal scope: PID 1 is outside the domain
      });

      test('PID 1\'s /proc entries are not the command\'s: its descriptor table cannot be listed, its oom_score_adj not opened for writing', () => {
        const { p } = get();
        expect(failed(p.proc1_fd)).toMatch(pid1Refused(caller));
        expect(failed(p.write_oom_adj)).toMatch(pid1Refused(caller));
      });

      test('links in the work dir resolve inside the view only', () => {
        const { p, result } = get();
        expect(p.plant_links).toEqual({ ok: true, value: 'planted' });
        expect(failed(p.symlink_leak)).toBe('EACCES');
        const top = result.workdir.split('/')[1];
        const expected = new Set([...SYSTEM_PATHS.filter((s) => existsSync(s)).map((s) => s.slice(1)), 'proc', 'dev', 'tmp', top]);
        expect((p.symlink_escape as any).value).toEqual([...expected].sort());
        expect(failed(p.through_canary_link)).toBe('ENOENT');
      });

      test('refused calls: mounts, new roots, namespaces, keys, bpf, perf, userfaultfd (EPERM); clone3, io_uring, foreign ABIs (ENOSYS); TIOCSTI', () => {
        const { p } = get();
        for (const name of ['mount_tmpfs', 'chroot', 'pivot_root', 'fsopen', 'unshare_user', 'unshare_time', 'clone_ns', 'unshare_cmd', 'add_key', 'keyctl', 'bpf', 'perf_event_open', 'userfaultfd', 'tiocsti']) {
          expect([name, failed(p[name])]).toEqual([name, 'EPERM']);
        }
        const table = (p.refused_table as any).value as Record<string, string>;
        expect(Object.keys(table).length).toBeGreaterThan(20);
        for (const [name, how] of Object.entries(table)) expect([name, how]).toEqual([name, 'EPERM']);
        for (const name of ['clone3', 'io_uring_setup', 'x32', 'int80']) {
          expect([name, failed(p[name])]).toEqual([name, 'ENOSYS']);
        }
      });

      test('round 2: no vsock, alg or packet socket (EAFNOSUPPORT), no fanotify (EPERM), an unknown syscall number is ENOSYS, no root-only /proc file, no host path in PID 1\'s command line', () => {
        const { p } = get();
        for (const name of ['socket_vsock', 'socket_alg', 'socket_packet']) expect([name, failed(p[name])]).toEqual([name, 'EAFNOSUPPORT']);
        expect(failed(p.fanotify_init)).toBe('EPERM');
        expect(failed(p.syscall_unknown)).toBe('ENOSYS');
        expect(failed(p.read_kpageflags)).toBe('EACCES');
        expect(failed(p.read_slabinfo)).toBe('EACCES');
        // Out of the root CLI's command's reach altogether (hidepid, PID 1 not dumpable); otherwise its name alone.
        if (p.pid1_cmdline.ok) expect(p.pid1_cmdline.value).toEqual(['sandbox-init']);
        else expect(['ENOENT', 'EPERM']).toContain(p.pid1_cmdline.errno);
      });

      test('descriptors, environment, /tmp and the process status', () => {
        const { p, result } = get();
        const fds = (p.fds as any).value as number[];
        expect(fds.slice(0, 3)).toEqual([0, 1, 2]);
        expect(fds).toHaveLength(4); // and the listing's own
        expect(failed(p.leak_fd)).toBe('EBADF');
        // A worker passes a few variables only; the CLI passes the caller's environment (documented).
        expect(p.env_secret).toBe(isCli(caller) ? SECRET : null);
        // Fresh: empty but for the way down to granted paths that lie under /tmp (this test's scratch dir).
        const under = new Set([result.workdir, canary.roDir].filter((d) => d.startsWith('/tmp/')).map((d) => d.split('/')[2]));
        expect((p.tmp_listing as any).value).toEqual([...under]);
        expect((p.tmp_listing as any).value).not.toContain(path.basename(canary.tmp));
        expect(p.tmp_write).toEqual({ ok: true, value: 'opened' });
        expect((p.status as any).value).toEqual({
          CapInh: '0000000000000000', CapPrm: '0000000000000000', CapEff: '0000000000000000', CapBnd: '0000000000000000',
          CapAmb: '0000000000000000', NoNewPrivs: '1', Seccomp: '2',
        });
      });
    });
  });

  if (!isCli(caller)) {
    test.each(BACKENDS)('open posture, backend %s: the host network is there, but Landlock keeps the host\'s abstract sockets and PID 1 out of reach', (backend) => {
      const run = runs.get(key(caller, backend, 'open'));
      expect(run?.failure).toBeUndefined();
      const p = run!.report!;
      expect(p.tcp_host).toEqual({ ok: true, value: 'connected' }); // the same network namespace as the host
      expect(failed(p.unix_abstract)).toBe('EPERM');
      expect(failed(p.kill_pid1)).toBe('EPERM');
    });
  }
}

describe.each(CALLERS)('%s', callerTests);
for (const caller of ROOT_ONLY_CALLERS) describe.skip(`${caller} ${NEEDS_ROOT}`, () => callerTests(caller));

describe('from outside, after every run', () => {
  test('no sandbox reached the host servers; the open runs did reach theirs', () => {
    expect({ tcp: tcp.connections, unix: unixRec.connections, abstract: abstractRec.connections }).toEqual(baseline);
    expect(tcp.data.join('')).not.toMatch(/tcp from (root|nobody)/);
    expect(tcpOpen.connections).toBe(CALLERS.filter((c) => !isCli(c)).length * BACKENDS.length); // one per worker caller and backend
  });

  test('the stray descriptor reached nothing but the control', () => {
    // Each worker's plain child wrote "control" through it: the descriptor was there to leak.
    expect(leak.data.join('')).toBe('control\n'.repeat(CALLERS.filter((c) => !isCli(c)).length));
  });

  test('the host process got no signal but the control\'s', () => {
    expect(target.count()).toBe(1);
  });

  test('canaries, the read-only dir, the checkout\'s dist/ and the root worker\'s canary dir are unchanged; nothing was created', () => {
    expect(snapshot()).toEqual(hashes);
    expect(readFileSync(path.join(canary.canaryDir, 'keep.txt'), 'utf8')).toBe('the cleanup must not reach this\n');
    for (const p of [`/usr/${CREATE_NAME}`, `/etc/cron.d/${CREATE_NAME}`, path.join(path.dirname(DIST_FILE), CREATE_NAME), path.join(canary.roDir, CREATE_NAME)]) {
      expect([p, existsSync(p)]).toEqual([p, false]);
    }
  });

  test(`the CLI work dirs hold the planted links as links, and no set-uid or set-gid file of ${OF_WHOM}`, () => {
    const found: string[] = [];
    for (const caller of CALLERS.filter(isCli)) {
      for (const backend of BACKENDS) {
        for (const posture of POSTURES) {
          const wd = runs.get(key(caller, backend, posture))!.hostWorkdir!;
          expect(lstatSync(path.join(wd, 'escape')).isSymbolicLink()).toBe(true);
          found.push(...privilegedFiles(wd).map((f) => `${caller} ${backend} ${posture}: ${f}`));
        }
      }
    }
    // A set-uid root program left in the caller's directory is root for any host user who runs it.
    expect(found).toEqual([]);
  });

  test('the workers\' fresh work dirs are gone, though the command made a subdir unreadable', () => {
    for (const caller of CALLERS.filter((c) => !isCli(c))) {
      for (const backend of BACKENDS) {
        for (const posture of [...POSTURES, 'open' as const]) {
          const src = runs.get(key(caller, backend, posture))?.report?.workdir_source;
          expect(src).toEqual({ ok: true, value: expect.stringMatching(/\/temporal-sandbox-\d+\/life-\d+-[0-9a-f]{8}\/run-/) });
          expect([caller, backend, posture, existsSync(src.value)]).toEqual([caller, backend, posture, false]);
        }
      }
    }
  });
});
