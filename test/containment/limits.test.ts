// Resource limits, enforced for real: a fork bomb, a runaway write, a full /tmp, too many open
// files, a busy loop, memory (not limited on a cgroup v1 host: the result must say so), and the
// ceiling and spelling rules. Callers: this process as a root worker, the root CLI (host uid 0,
// where PID 1's watchdog counts processes) and a worker process run as nobody. Under a non-root
// test user, the unprivileged worker is that user, and what needs a root caller is skipped.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { runSandboxed, SandboxPolicyError, type Backend, type RunResult } from '../../sandbox';
import { cgroupSupport } from '../../sandbox/contain/cgroup';
import { processesWith, uniqueMarker } from '../support/processes';
import { runCli } from '../support/cli';
import {
  AS_ROOT, NEEDS_ROOT, RANGE_COUNT, RANGE_FIRST, UNPRIVILEGED, VIEW_PYTHON, describeAsRoot, makeScratch, openFds, processesOfUid, runCliJson,
  runWorker, settle, testAsRoot, type Scratch,
} from './harness';

const BACKENDS: readonly Backend[] = ['bubblewrap', 'userns'];
const MiB = 1024 * 1024;
/** Keeps forking whatever fork answers: a bomb that the kernel's EAGAIN alone does not end. */
const BOMB = 'import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass';
/** Past the watchdog's two 200 ms ticks with room to spare; a bomb nothing ends meets this timeout. */
const BOMB_TIMEOUT_S = 6;

let scratch: Scratch;
beforeAll(() => {
  scratch = makeScratch('sbx-lim-');
});
afterAll(() => scratch?.remove());

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

function expectBombEnded(bomb: RunResult): void {
  expect({ limit: bomb.limit, termination: bomb.termination, signal: bomb.signal }).toEqual({ limit: 'processes', termination: 'signal', signal: 'SIGKILL' });
  expect(bomb.exitCode).toBeNull();
  expect(bomb.durationMs).toBeLessThan(5000);
}

describe.each(BACKENDS)('backend %s', (backend) => {
  describe('a fork bomb with processes=64', () => {
    testAsRoot('root worker: the run fails with limit processes, a concurrent run completes, nothing is left, no descriptor lost', async () => {
      const marker = uniqueMarker();
      await runSandboxed({ backend, command: ['true'] }); // the helper's descriptor is opened once per process
      const fdsBefore = openFds();
      const [bomb, normal] = await Promise.all([
        runSandboxed({ backend, limits: { processes: 64 }, timeoutSeconds: BOMB_TIMEOUT_S, command: [VIEW_PYTHON, '-c', BOMB, marker] }),
        delay(200).then(() => runSandboxed({ backend, timeoutSeconds: 20, command: ['sh', '-c', 'echo still-serving'] })),
      ]);
      expect(normal).toMatchObject({ exitCode: 0, stdout: 'still-serving\n' });
      // A run of its own host uid: RLIMIT_NPROC counts it (a cgroup v2 with pids delegated does too).
      const support = cgroupSupport();
      expect(bomb.policy.limits.processes).toEqual({ value: 64, by: support.ok && support.version === 2 ? 'cgroup' : 'rlimit' });
      const uid = bomb.policy.backstops.hostUid;
      expect(uid >= RANGE_FIRST && uid < RANGE_FIRST + RANGE_COUNT).toBe(true);
      expect(await settle(() => processesOfUid(uid), (l) => l.length === 0)).toEqual([]);
      expect(processesWith(marker)).toEqual([]);
      expect(await settle(openFds, (n) => n <= fdsBefore)).toBeLessThanOrEqual(fdsBefore);
      expectBombEnded(bomb);
    }, 30_000);

    testAsRoot('root CLI (host uid 0, where the kernel ignores RLIMIT_NPROC): PID 1 ends the run with limit processes', async () => {
      const marker = uniqueMarker();
      const r = await runCliJson(['--backend', backend, '--limit', 'processes=64', '--timeout', String(BOMB_TIMEOUT_S), '--', VIEW_PYTHON, '-c', BOMB, marker], {
        cwd: scratch.sub(`bomb-cli-${backend}`),
      });
      expect(r.result.policy.backstops.hostUid).toBe(0);
      // A pids cgroup counts host uid 0's processes too (v2 delegated, or v1's pids hierarchy).
      expect(r.result.policy.limits.processes).toEqual(
        cgroupSupport().ok ? { value: 64, by: 'cgroup' } : { value: 64, by: 'supervisor', note: expect.stringMatching(/RLIMIT_NPROC.*PID 1/) },
      );
      expect(r.code).toBe(137);
      expect(await settle(() => processesWith(marker), (l) => l.length === 0)).toEqual([]);
      expectBombEnded(r.result);
    }, 30_000);

    test('nobody worker: the run fails with limit processes, a concurrent run of the same worker completes, nothing is left', async () => {
      const marker = uniqueMarker();
      const [bomb, normal] = await runWorker(
        {
          parallel: true,
          runs: [
            { backend, limits: { processes: 64 }, timeoutSeconds: BOMB_TIMEOUT_S, command: [VIEW_PYTHON, '-c', BOMB, marker] },
            { backend, timeoutSeconds: 20, command: ['sh', '-c', 'sleep 0.2; echo still-serving'] },
          ],
        },
        { nobody: true },
      );
      expect(normal.result).toMatchObject({ exitCode: 0, stdout: 'still-serving\n' });
      expect(bomb.result!.policy.backstops.hostUid).toBe(UNPRIVILEGED);
      expect(bomb.result!.policy.limits.processes).toEqual({ value: 64, by: 'rlimit' });
      expect(await settle(() => processesWith(marker), (l) => l.length === 0)).toEqual([]);
      expectBombEnded(bomb.result!);
    }, 30_000);
  });

  test('the plain `while True: os.fork()` loop (which dies at its first EAGAIN) fails the run and leaves nothing', async () => {
    const marker = uniqueMarker();
    const r = await runSandboxed({ backend, limits: { processes: 64 }, timeoutSeconds: BOMB_TIMEOUT_S, command: [VIEW_PYTHON, '-c', 'import os\nwhile True:\n    os.fork()', marker] });
    expect(r.termination).not.toBe('timeout');
    expect(r.exitCode === 0).toBe(false);
    expect(await settle(() => processesWith(marker), (l) => l.length === 0)).toEqual([]);
  }, 30_000);

  test('a runaway write (dd, file-size=10M) is killed by SIGXFSZ and the file outside stays at 10 MiB', async () => {
    const cwd = scratch.sub(`dd-${backend}`);
    const r = await runCliJson(['--backend', backend, '--limit', 'file-size=10M', '--', 'dd', 'if=/dev/zero', 'of=big', 'bs=1M', 'count=100'], { cwd });
    expect(r.result).toMatchObject({ limit: 'fileSizeBytes', signal: 'SIGXFSZ', termination: 'signal', exitCode: null });
    expect(r.result.policy.limits.fileSizeBytes).toEqual({ value: 10 * MiB, by: 'rlimit' });
    expect(statSync(path.join(cwd, 'big')).size).toBeLessThanOrEqual(10 * MiB);
    expect(statSync(path.join(cwd, 'big')).size).toBeGreaterThan(0);
  });

  test('/tmp and /dev/shm are bounded by tmp: ENOSPC at the size, which statvfs shows', async () => {
    const fill = [
      'import errno, os',
      'for d in ("/tmp", "/dev/shm"):',
      '    st = os.statvfs(d)',
      '    written = 0',
      '    try:',
      '        with open(d + "/fill", "wb") as f:',
      '            for _ in range(16):',
      '                f.write(b"x" * (1 << 20)); f.flush(); written += 1 << 20',
      '        print(d, "full?", written)',
      '    except OSError as e:',
      '        print(d, errno.errorcode[e.errno], st.f_blocks * st.f_frsize, written)',
    ].join('\n');
    const r = await runSandboxed({ backend, limits: { tmpBytes: 2 * MiB }, command: [VIEW_PYTHON, '-c', fill] });
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n').map((l) => l.split(' '));
    for (const [dir, what, size, written] of lines) {
      expect([dir, what, Number(size)]).toEqual([dir, 'ENOSPC', 2 * MiB]);
      expect(Number(written)).toBeLessThanOrEqual(2 * MiB);
    }
    expect(lines.map((l) => l[0])).toEqual(['/tmp', '/dev/shm']);
    expect(r.policy.limits.tmpBytes).toEqual({ value: 2 * MiB, by: 'tmpfs' });
    expect(r.policy.filesystem.tmpfs).toEqual([`/tmp (${2 * MiB} bytes, 1024 files)`, `/dev/shm (${2 * MiB} bytes, 1024 files)`]);
  });

  test('/tmp and /dev/shm cap their files too: ENOSPC at 1,024 empty files under tmp=1M (each costs kernel memory)', async () => {
    const script = [
      'import errno, os',
      'for d in ("/tmp", "/dev/shm"):',
      '    n = 0',
      '    try:',
      '        while n < 100000:',
      '            open("%s/f%d" % (d, n), "w").close(); n += 1',
      '    except OSError as e:',
      '        print(d, errno.errorcode[e.errno], n)',
    ].join('\n');
    const r = await runSandboxed({ backend, limits: { tmpBytes: MiB }, command: [VIEW_PYTHON, '-c', script] });
    // 1,024 inodes, the root directory being one of them.
    expect(r.stdout).toBe('/tmp ENOSPC 1023\n/dev/shm ENOSPC 1023\n');
  });

  test('open-files=32: EMFILE before the 32nd descriptor', async () => {
    const script = [
      'import errno, os, resource',
      'print(resource.getrlimit(resource.RLIMIT_NOFILE))',
      'fds = []',
      'try:',
      '    while True: fds.append(os.open("/dev/null", os.O_RDONLY))',
      'except OSError as e:',
      '    print(errno.errorcode[e.errno], max(fds))',
    ].join('\n');
    const r = await runSandboxed({ backend, limits: { openFiles: 32 }, command: [VIEW_PYTHON, '-c', script] });
    const [rlimit, outcome] = r.stdout.trim().split('\n');
    expect(rlimit).toBe('(32, 32)');
    expect(outcome).toBe('EMFILE 31');
    expect(r.policy.limits.openFiles).toEqual({ value: 32, by: 'rlimit' });
  });

  test('cpu-seconds=1: a busy loop is ended by SIGXCPU with limit cpuSeconds', async () => {
    const started = Date.now();
    const r = await runSandboxed({ backend, limits: { cpuSeconds: 1 }, timeoutSeconds: 20, command: [VIEW_PYTHON, '-c', 'while True: pass'] });
    expect(r).toMatchObject({ limit: 'cpuSeconds', signal: 'SIGXCPU', termination: 'signal' });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test('memory on this host: a cgroup v2 kills past the limit, otherwise RLIMIT_DATA refuses the allocation, and the result says which', async () => {
    const r = await runSandboxed({
      backend,
      limits: { memoryBytes: 64 * MiB },
      command: [VIEW_PYTHON, '-c', 'b = bytearray(128 << 20); b[::4096] = b"x" * len(b[::4096]); print(len(b))'],
    });
    const support = cgroupSupport();
    if (support.ok && support.version === 2) {
      expect(r.policy.limits.memoryBytes).toEqual({ value: 64 * MiB, by: 'cgroup' });
      expect(r.limit).toBe('memoryBytes');
    } else {
      // Never silently unlimited: without a memory cgroup, RLIMIT_DATA refuses the allocation.
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(/MemoryError/);
      expect(r.policy.limits.memoryBytes).toEqual({ value: 64 * MiB, by: 'rlimit', note: expect.stringMatching(/^RLIMIT_DATA: .*not the run's total \(.*cgroup/) });
    }
  });
});

/** The parent and `k` children held for 1.5 s: k + 2 tasks in the run's PID namespace with PID 1. */
const HOLD = (k: number) =>
  `import os, time\nkids = []\nfor _ in range(${k}):\n    pid = os.fork()\n    if pid == 0:\n        time.sleep(1.5)\n        os._exit(0)\n    kids.append(pid)\n` +
  `time.sleep(0.3)\nprint(len([p for p in os.listdir('/proc') if p.isdigit()]), flush=True)\nfor p in kids:\n    os.waitpid(p, 0)\nprint('done')`;

// The limit counts the run's tasks, PID 1 included (as RLIMIT_NPROC does under bubblewrap). A run
// that holds one task fewer is within it and must not be ended. Not for an unprivileged uid under
// userns: there the kernel also counts unshare's process outside the run, so 15 is its ceiling.
for (const [caller, backend] of [['root worker', 'bubblewrap'], ['root CLI', 'bubblewrap'], ['root CLI', 'userns']] as const) {
  describeAsRoot(`${caller}, backend ${backend}: a run one task below processes=16`, () => {
    test('is not ended by the watchdog', async () => {
      const command = [VIEW_PYTHON, '-c', HOLD(13)];
      const r =
        caller === 'root CLI'
          ? (await runCliJson(['--backend', backend, '--limit', 'processes=16', '--', ...command], { cwd: scratch.sub(`below-${backend}`) })).result
          : await runSandboxed({ backend, limits: { processes: 16 }, command });
      // Under the root CLI /proc hides PID 1 from the command (hidepid=ptraceable): it sees 14.
      const seen = caller === 'root CLI' ? 14 : 15;
      expect({ exitCode: r.exitCode, limit: r.limit, stdout: r.stdout }).toEqual({ exitCode: 0, limit: undefined, stdout: `${seen}\ndone\n` });
    });
  });
}

const cgroup = cgroupSupport();
const memoryCgroup = cgroup.ok && cgroup.version === 2;
(memoryCgroup ? describe : describe.skip)(
  `memory enforced by a delegated cgroup v2${memoryCgroup ? '' : ` (skipped: ${cgroup.ok ? 'cgroup v1 has no memory controller of ours' : cgroup.reason})`}`,
  () => {
    test.each(BACKENDS)('backend %s: an allocation past memoryBytes is killed, limit memoryBytes', async (backend) => {
      const r = await runSandboxed({
        backend,
        limits: { memoryBytes: 64 * MiB },
        timeoutSeconds: 30,
        command: [VIEW_PYTHON, '-c', 'b = bytearray(256 << 20); b[::4096] = b"x" * len(b[::4096]); print("survived")'],
      });
      expect(r.policy.limits.memoryBytes).toEqual({ value: 64 * MiB, by: 'cgroup' });
      expect(r).toMatchObject({ limit: 'memoryBytes', signal: 'SIGKILL' });
      expect(r.stdout).not.toContain('survived');
    });
  },
);

describe('the applied limits, and the rules for asking', () => {
  const asked = { processes: 100, memoryBytes: 1024 * MiB, fileSizeBytes: 5 * MiB, openFiles: 64, cpuSeconds: 30, tmpBytes: 8 * MiB };
  const show = `${VIEW_PYTHON} -c 'import resource as r; print(*[r.getrlimit(getattr(r, "RLIMIT_" + n))[0] for n in ("NPROC", "FSIZE", "NOFILE", "CPU")])'`;
  const common = (by: string) => ({
    memoryBytes: { value: asked.memoryBytes, by: 'none', note: expect.stringContaining('cgroup') },
    fileSizeBytes: { value: asked.fileSizeBytes, by: 'rlimit' },
    openFiles: { value: asked.openFiles, by: 'rlimit' },
    cpuSeconds: { value: asked.cpuSeconds, by: 'rlimit' },
    tmpBytes: { value: asked.tmpBytes, by: 'tmpfs' },
    processes: by === 'supervisor' ? { value: 100, by, note: expect.any(String) } : { value: 100, by },
  });
  /** Without a delegated cgroup; and, being root callers, under a root test process only. */
  const skipIfCgroup = (title: string, fn: () => Promise<void>) =>
    cgroup.ok ? test.skip(title, fn) : AS_ROOT ? test(title, fn) : test.skip(`${title} ${NEEDS_ROOT}`, fn);

  skipIfCgroup('root worker: each limit with how it was applied; the command sees the rlimits', async () => {
    const r = await runSandboxed({ limits: asked, command: ['sh', '-c', show] });
    expect(r.policy.limits).toEqual(common('rlimit'));
    expect(r.stdout).toBe(`100 ${5 * MiB} 64 30\n`);
  });

  skipIfCgroup('root CLI: processes by the supervisor, with a note', async () => {
    const r = await runCliJson(
      ['--limit', 'processes=100', '--limit', 'memory=1G', '--limit', 'file-size=5M', '--limit', 'open-files=64', '--limit', 'cpu-seconds=30', '--limit', 'tmp=8M', '--', 'sh', '-c', show],
      { cwd: scratch.sub('applied-cli') },
    );
    expect(r.result.policy.limits).toEqual(common('supervisor'));
    expect(r.result.stdout).toBe(`100 ${5 * MiB} 64 30\n`);
  });

  test('a session asking for more than the worker ceiling is a SandboxPolicyError saying what to write', async () => {
    const p = runSandboxed({ worker: { limits: { processes: 100 } }, limits: { processes: 200 }, command: ['true'] });
    await expect(p).rejects.toThrow(SandboxPolicyError);
    await expect(p).rejects.toThrow(/limits\.processes 200 exceeds the worker ceiling's 100: write 100 or less/);
    // At the ceiling is fine, and without asking the run gets the ceiling, not the default above it.
    const ok = await runSandboxed({ worker: { limits: { processes: 100 } }, command: ['true'] });
    expect(ok.policy.limits.processes.value).toBe(100);
  });

  test.each([['processes=abc'], ['memory'], ['bogus=1'], ['processes=10M'], ['file-size=-1'], ['tmp=1.5G'], ['processes=0']])(
    'a malformed --limit %s is exit 125 with a one-line message',
    async (flag) => {
      const r = await runCli(['run', '--limit', flag, '--', 'true'], { cwd: scratch.dir });
      expect(r.code).toBe(125);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^temporal-sandbox: --limit '.*': write /);
    },
  );
});

describe("the host's shared tables", () => {
  test('the defaults hold at most 1/8 of the host file table (processes x open files), and a run meets EMFILE at its own limit', async () => {
    const fileMax = Number(readFileSync('/proc/sys/fs/file-max', 'utf8'));
    const script = 'import os\nfds = []\ntry:\n    while True: fds.append(os.eventfd(0))\nexcept OSError as e:\n    print(e.errno, len(fds))';
    const r = await runSandboxed({ command: [VIEW_PYTHON, '-c', script] });
    const { processes, openFiles } = r.policy.limits;
    expect(processes.value * openFiles.value).toBeLessThanOrEqual(fileMax / 8);
    // EMFILE (24) a few short of the limit (stdin, stdout, stderr are open): the run's own failure.
    expect(r.stdout).toBe(`24 ${openFiles.value - 3}\n`);
  });

  test('a run that cannot start for want of descriptors fails with a clear error, and leaves no work dir', async () => {
    // A worker process at its own descriptor limit: spawn cannot make the sandbox's pipes.
    const script = `
      const fs = require('fs'), path = require('path');
      const { runSandboxed } = require(${JSON.stringify(path.resolve(__dirname, '..', '..', 'sandbox'))});
      const { lifeDir } = require(${JSON.stringify(path.resolve(__dirname, '..', '..', 'sandbox', 'contain', 'work-root'))});
      (async () => {
        await runSandboxed({ command: ['true'] });
        const held = [];
        try { for (;;) held.push(fs.openSync('/dev/null', 'r')); } catch {}
        for (let i = 0; i < 3; i++) fs.closeSync(held.pop());
        let error = null;
        try { await runSandboxed({ command: ['true'] }); } catch (e) { error = e.constructor.name + ': ' + e.message; }
        console.log(JSON.stringify({ error, left: fs.readdirSync(lifeDir()).filter((n) => n.startsWith('run-')) }));
        process.exit(0);
      })();`;
    // setsid: a process group of its own, so that no signal it sends to its group reaches the
    // test runner's (a kill of a failed spawn once did: Node sends it to pid 0).
    const out = execFileSync('setsid', ['sh', '-c', `ulimit -n 64; exec "${process.execPath}" -e "$0"`, script], { encoding: 'utf8', timeout: 30_000 });
    const { error, left } = JSON.parse(out);
    expect(error).toMatch(/^SandboxBackendError: cannot start the bubblewrap sandbox: .*out of file descriptors/);
    expect(left).toEqual([]);
  });
});
