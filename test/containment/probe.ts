// The escape probe: a Python program run inside the sandbox (host files are not in the view, so
// it travels in argv). Each attempt records success or the errno; nothing secret is printed (a
// read reports a length). With mode 'host' the same attempts run outside any sandbox as the
// positive control: there most of them succeed, which proves each assertion can fail.
// x86_64 only (syscall numbers, int 0x80).

/** What the probe needs to know of the host: the targets it tries to reach. */
export type ProbeConfig = {
  mode: 'sandbox' | 'host';
  /** Unique per run: names what it creates and what it sends. */
  tag: string;
  /** A host process of the test's own (it counts SIGUSR2): traced, signalled, looked up in /proc. */
  hostPid: number;
  tcpPort: number;
  unixPath: string;
  abstractName: string;
  /** A file of the test's own outside the view. */
  outsideFile: string;
  /** A dir added read-only, and a file in it. */
  roDir: string;
  roFile: string;
  /** A file of the checkout's dist/. */
  distFile: string;
  /** A name the probe tries to create in /usr, /etc/cron.d, dist/ and roDir (never on the host). */
  createName: string;
  blockDevs: string[];
  /** A dir of the test's own outside the view, which links in the work dir point at. */
  canaryDir: string;
  leakFd: number;
  secretName: string;
};

export type Attempt = { ok: true; value: any } | { ok: false; errno: string | number | null; error?: string };
/** Attempt per name, plus a few plain facts (ids, workdir, ns_seen, dev_listing, env_secret). */
export type ProbeReport = Record<string, any>;

export function probeCommand(config: ProbeConfig): string[] {
  return ['/usr/bin/python3', '-c', ESCAPE_PROBE, JSON.stringify(config)];
}

export const ESCAPE_PROBE = String.raw`import ctypes, errno, json, os, shutil, signal, socket, stat, subprocess, sys
cfg = json.loads(sys.argv[1])
host = cfg['mode'] == 'host'
tag = cfg['tag']
out = {'mode': cfg['mode']}
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
NR = {'umount2': 166, 'mount': 165, 'chroot': 161, 'pivot_root': 155, 'setns': 308, 'unshare': 272,
      'clone3': 435, 'io_uring_setup': 425, 'add_key': 248, 'keyctl': 250, 'bpf': 321,
      'perf_event_open': 298, 'userfaultfd': 323, 'ptrace': 101, 'open_tree': 428, 'fsopen': 430, 'clone': 56,
      'request_key': 249, 'init_module': 175, 'finit_module': 313, 'delete_module': 176, 'kexec_load': 246,
      'kexec_file_load': 320, 'reboot': 169, 'swapon': 167, 'swapoff': 168, 'acct': 163, 'open_by_handle_at': 304,
      'iopl': 172, 'ioperm': 173, 'syslog': 103, 'vhangup': 153, 'lookup_dcookie': 212, 'quotactl': 179, 'uselib': 134,
      'move_mount': 429, 'fsconfig': 431, 'fsmount': 432, 'fspick': 433, 'mount_setattr': 442, 'quotactl_fd': 443,
      'fanotify_init': 300, 'unknown': 1000}
WA = os.O_WRONLY | os.O_APPEND
CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL

def arg(a):
    return ctypes.c_long(a) if isinstance(a, int) else a

def sys_(name, *args):
    r = libc.syscall(ctypes.c_long(NR[name]), *[arg(a) for a in args])
    if r == -1:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r

def record(fn):
    try:
        return {'ok': True, 'value': fn()}
    except OSError as e:
        return {'ok': False, 'errno': errno.errorcode.get(e.errno, e.errno)}
    except Exception as e:
        return {'ok': False, 'errno': None, 'error': repr(e)}

def attempt(name, fn):
    out[name] = record(fn)

def in_child(fn):
    # For calls that would change the probe itself (or, on the host, must not outlive a moment).
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.write(w, json.dumps(record(fn)).encode())
        os._exit(0)
    os.close(w)
    data = b''
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    res = json.loads(data or b'{"ok": false, "errno": null, "error": "child died"}')
    if res['ok']:
        return res['value']
    raise OSError(getattr(errno, res['errno'], 0) if isinstance(res['errno'], str) else 0, str(res))

def open_close(path, flags):
    os.close(os.open(path, flags, 0o644))
    return 'opened'

def read_len(path):
    with open(path, 'rb') as f:
        return len(f.read(64))  # a length only: nothing secret reaches the output

# First, before anything of ours is in /tmp.
attempt('tmp_listing', lambda: sorted(os.listdir('/tmp')))
if not host:
    attempt('tmp_write', lambda: open_close('/tmp/written-by-' + tag, CREATE))
wd = os.getcwd()
out['workdir'] = wd
def workdir_source():
    # The host directory mounted at the work dir (mountinfo's root field), to check its removal.
    for line in open('/proc/self/mountinfo'):
        f = line.split(' ')
        if f[4] == wd:
            return f[3]
    return None
attempt('workdir_source', workdir_source)
out['ids'] = [os.getuid(), os.geteuid(), os.getgid(), os.getegid()]

def status():
    keep = ('CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb', 'NoNewPrivs', 'Seccomp')
    d = {}
    for line in open('/proc/self/status'):
        k, _, v = line.partition(':')
        if k in keep:
            d[k] = v.strip()
    return d
attempt('status', status)
attempt('fds', lambda: sorted(int(x) for x in os.listdir('/proc/self/fd')))
attempt('leak_fd', lambda: os.write(cfg['leakFd'], b'leaked by ' + tag.encode()))
out['env_secret'] = os.environ.get(cfg['secretName'])

# Namespaces: /proc cannot be unmounted; what it lists is the run's own, and none can be joined.
if not host:
    attempt('umount_proc', lambda: sys_('umount2', b'/proc', 2))
def namespaces():
    seen = {}
    for pid in os.listdir('/proc'):
        if pid.isdigit():
            try:
                for n in os.listdir('/proc/%s/ns' % pid):
                    p = '/proc/%s/ns/%s' % (pid, n)
                    try:
                        seen.setdefault(os.readlink(p), p)
                    except OSError:
                        pass
            except OSError:
                pass
    return seen
ns = namespaces()
out['ns_seen'] = sorted(ns)
def setns_all():
    res = {}
    for link, p in sorted(ns.items()):
        def join():
            fd = os.open(p, os.O_RDONLY)
            try:
                sys_('setns', fd, 0)
            finally:
                os.close(fd)
            return 'joined'
        r = record(lambda: in_child(join))
        res[link] = 'joined' if r['ok'] else r['errno']
    return res
if host:
    attempt('setns', lambda: in_child(lambda: (sys_('setns', os.open('/proc/self/ns/uts', os.O_RDONLY), 0), 'joined')[1]))
else:
    attempt('setns_all', setns_all)
    def nsenter(target):
        p = subprocess.run(['nsenter', '--target', str(target), '--all', 'true'], capture_output=True, text=True, timeout=10)
        if p.returncode != 0:
            raise OSError(errno.EPERM if 'not permitted' in p.stderr else errno.EACCES if 'denied' in p.stderr
                          else errno.ENOENT if 'No such file' in p.stderr else 0, p.stderr.strip())
        return 'entered'
    attempt('nsenter_self', lambda: nsenter(os.getpid()))
    attempt('nsenter_pid1', lambda: nsenter(1))

# Network: the host's loopback and Unix sockets.
def tcp():
    s = socket.create_connection(('127.0.0.1', cfg['tcpPort']), timeout=3)
    s.sendall(('tcp from ' + tag).encode())
    s.close()
    return 'connected'
attempt('tcp_host', tcp)
def unix(addr):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(3)
    try:
        s.connect(addr)
        s.sendall(('unix from ' + tag).encode())
    finally:
        s.close()
    return 'connected'
attempt('unix_path', lambda: unix(cfg['unixPath']))
# Node 20's libuv binds an abstract name padded with NULs to the whole sun_path, Node 22's and
# later the name alone: try the exact name, then the padded one (each is a distinct address).
def abstract():
    name = '\0' + cfg['abstractName']
    try:
        return unix(name)
    except ConnectionRefusedError:
        return unix(name.ljust(108, '\0'))
attempt('unix_abstract', abstract)

# Files of the host: system files opened for writing and closed unwritten, secrets, canaries.
attempt('write_etc_passwd', lambda: open_close('/etc/passwd', WA))
attempt('write_usr_bin', lambda: open_close('/usr/bin/env', WA))
attempt('write_dist', lambda: open_close(cfg['distFile'], WA))
if not host:
    attempt('create_usr', lambda: open_close('/usr/' + cfg['createName'], CREATE))
    attempt('create_cron', lambda: open_close('/etc/cron.d/' + cfg['createName'], CREATE))
    attempt('create_dist', lambda: open_close(os.path.dirname(cfg['distFile']) + '/' + cfg['createName'], CREATE))
    attempt('create_in_ro', lambda: open_close(cfg['roDir'] + '/' + cfg['createName'], CREATE))
attempt('read_shadow', lambda: read_len('/etc/shadow'))
attempt('list_root', lambda: len(os.listdir('/root')))
attempt('read_outside', lambda: read_len(cfg['outsideFile']))
attempt('read_ro', lambda: open(cfg['roFile']).read())
attempt('write_ro', lambda: open_close(cfg['roFile'], WA))
def block_devices():
    res = {}
    for d in cfg['blockDevs']:
        r = record(lambda: open_close(d, os.O_RDONLY))
        res[d] = 'opened' if r['ok'] else r['errno']
    return res
attempt('open_block', block_devices)
out['dev_listing'] = sorted(os.listdir('/dev'))
def mknod(kind, dev):
    p = '%s/%s-node-%s' % (wd, kind, tag)
    os.mknod(p, (stat.S_IFBLK if kind == 'block' else stat.S_IFCHR) | 0o600, dev)
    os.unlink(p)
    return 'made'
attempt('mknod_block', lambda: mknod('block', os.makedev(254, 0)))
attempt('mknod_char', lambda: mknod('char', os.makedev(1, 3)))
attempt('write_core_pattern', lambda: open_close('/proc/sys/kernel/core_pattern', WA))
attempt('write_sysrq', lambda: open_close('/proc/sysrq-trigger', WA))
def setuid_file():
    p = '%s/setuid-%s' % (wd, tag)
    shutil.copyfile('/bin/true', p)
    os.chmod(p, 0o6755)
    return oct(os.stat(p).st_mode & 0o7777)
attempt('setuid_file', setuid_file)

# Other processes: PID 1 (the helper) and the test's own process on the host.
hp = cfg['hostPid']
def seize(pid):
    # In a child, so that a tracee is let go the moment it exits.
    return in_child(lambda: (sys_('ptrace', 0x4206, pid, 0, 0), 'attached')[1])
if not host:
    attempt('ptrace_pid1', lambda: seize(1))
attempt('ptrace_host', lambda: seize(hp))
attempt('proc_self_environ', lambda: read_len('/proc/self/environ'))
attempt('proc1_root', lambda: len(os.listdir('/proc/1/root')))
attempt('proc1_environ', lambda: read_len('/proc/1/environ'))
attempt('proc1_mem', lambda: open_close('/proc/1/mem', os.O_RDONLY))
attempt('proc1_fd', lambda: len(os.listdir('/proc/1/fd')))
def proc1_fd_open():
    res = {}
    for n in range(16):
        r = record(lambda: open_close('/proc/1/fd/%d' % n, os.O_RDONLY))
        res[n] = 'opened' if r['ok'] else r['errno']
    return res
attempt('proc1_fd_open', proc1_fd_open)
# PID 1's settings (on the host: the target's): opened for writing, closed unwritten.
attempt('write_oom_adj', lambda: open_close('/proc/%d/oom_score_adj' % (hp if host else 1), WA))
attempt('prochost_root', lambda: len(os.listdir('/proc/%d/root' % hp)))
attempt('prochost_environ', lambda: read_len('/proc/%d/environ' % hp))
attempt('kill_host', lambda: (os.kill(hp, signal.SIGUSR2), 'sent')[1])
# For contrast: a process of the run's own may be traced and signalled.
sleeper = os.fork()
if sleeper == 0:
    # Never run on past a failed exec: the rest of the probe would then signal process group 0,
    # which on the host is the test runner's own.
    try:
        os.execv('/bin/sleep', ['sleep', '30'])
    finally:
        os._exit(127)
attempt('ptrace_own', lambda: seize(sleeper))
attempt('kill_own', lambda: (os.kill(sleeper, 0), 'sent')[1])
os.kill(sleeper, signal.SIGKILL)
os.waitpid(sleeper, 0)
attempt('kill_pid1', lambda: (os.kill(1, 0), 'sent')[1])

# Links in the work dir pointing out of it.
def links():
    os.symlink('/etc/shadow', 'leak')
    os.symlink('/', 'escape')
    os.symlink(cfg['canaryDir'], 'canary-link')
    os.makedirs('deep/er')
    os.symlink(cfg['canaryDir'], 'deep/er/canary-link')
    os.symlink(cfg['canaryDir'] + '/keep.txt', 'deep/canary-file')
    os.chmod('deep', 0)  # the cleanup must cope, and still not follow anything
    return 'planted'
attempt('plant_links', links)
attempt('symlink_leak', lambda: read_len('leak'))
attempt('symlink_escape', lambda: sorted(os.listdir('escape')))
attempt('through_canary_link', lambda: sorted(os.listdir('canary-link')))

# Calls seccomp refuses. On the host (control) each runs in a child of its own.
def mount_tmpfs():
    if host:
        sys_('unshare', 0x00020000)  # a private mount namespace: nothing reaches the host
        sys_('mount', None, b'/', None, 0x4000 | 0x40000, None)
    sys_('mount', b'none', wd.encode(), b'tmpfs', 0, None)
    return 'mounted'
attempt('mount_tmpfs', lambda: in_child(mount_tmpfs))
attempt('chroot', lambda: in_child(lambda: (sys_('chroot', b'/'), 'changed')[1]))
attempt('pivot_root', lambda: in_child(lambda: (sys_('pivot_root', b'.', b'.'), 'pivoted')[1]) if not host else 'skipped')
attempt('fsopen', lambda: in_child(lambda: (sys_('fsopen', b'tmpfs', 0), 'opened')[1]))
attempt('unshare_user', lambda: in_child(lambda: (sys_('unshare', 0x10000000), 'unshared')[1]))
def unshare_cmd():
    p = subprocess.run(['unshare', '-U', 'true'], capture_output=True, text=True, timeout=10)
    if p.returncode != 0:
        raise OSError(errno.EPERM if 'not permitted' in p.stderr else 0, p.stderr.strip())
    return 'ran'
attempt('unshare_cmd', unshare_cmd)
def clone_ns():
    r = sys_('clone', 0x04000000 | 17, 0, 0, 0, 0)  # CLONE_NEWUTS | SIGCHLD, like fork otherwise
    if r == 0:
        os._exit(0)
    os.waitpid(r, 0)
    return 'cloned'
attempt('clone_ns', lambda: in_child(clone_ns))
attempt('unshare_time', lambda: in_child(lambda: (sys_('unshare', 0x80), 'unshared')[1]))
if not host:
    # The rest of the refused table, with arguments that would do nothing even if a call passed.
    def refused_table():
        calls = {
            'request_key': (b'user', b'sbx-probe', None, 0), 'init_module': (None, 0, b''), 'finit_module': (-1, b'', 0),
            'delete_module': (b'sbx_no_such_module', 0), 'kexec_load': (0, 0, None, 0), 'kexec_file_load': (-1, -1, 0, None, 0),
            'reboot': (0, 0, 0, None), 'swapon': (b'/nonexistent', 0), 'swapoff': (b'/nonexistent',), 'acct': (b'/nonexistent',),
            'open_by_handle_at': (-1, None, 0), 'iopl': (0,), 'ioperm': (0x80, 1, 0), 'syslog': (10, None, 0), 'vhangup': (),
            'lookup_dcookie': (0, None, 0), 'quotactl': (0, None, 0, None), 'uselib': (b'/nonexistent',),
            'open_tree': (-1, b'/', 0), 'move_mount': (-1, b'', -1, b'', 0), 'fsconfig': (-1, 0, None, None, 0),
            'fsmount': (-1, 0, 0), 'fspick': (-1, b'/', 0), 'mount_setattr': (-1, b'', 0, None, 0), 'quotactl_fd': (-1, 0, 0, None),
        }
        res = {}
        for name, args in calls.items():
            r = record(lambda: in_child(lambda: sys_(name, *args)))
            res[name] = 'SUCCEEDED' if r['ok'] else r['errno']
        return res
    attempt('refused_table', refused_table)
attempt('clone3', lambda: in_child(lambda: sys_('clone3', None, 0)))
def io_uring():
    params = ctypes.create_string_buffer(120)
    fd = sys_('io_uring_setup', 1, params)
    os.close(fd)
    return 'fd'
attempt('io_uring_setup', lambda: in_child(io_uring))
attempt('add_key', lambda: in_child(lambda: sys_('add_key', b'user', b'sbx-probe', b'x', 1, -2)))
attempt('keyctl', lambda: in_child(lambda: sys_('keyctl', 0, -2, 1)))
attempt('bpf', lambda: in_child(lambda: sys_('bpf', 0, None, 0)))
attempt('perf_event_open', lambda: in_child(lambda: sys_('perf_event_open', None, 0, -1, -1, 0)))
def uffd():
    fd = sys_('userfaultfd', os.O_CLOEXEC)
    os.close(fd)
    return 'fd'
attempt('userfaultfd', lambda: in_child(uffd))
def x32_getpid():
    # This kernel has no x32 ABI (CONFIG_X86_X32_ABI off): ENOSYS with or without the filter.
    r = libc.syscall(ctypes.c_long(0x40000000 | 39))
    if r == -1:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r
attempt('x32', x32_getpid)
def int80_getpid():
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
    page = libc.mmap(None, 4096, 7, 0x22, -1, 0)
    code = bytes([0xb8, 0x14, 0, 0, 0, 0xcd, 0x80, 0xc3])  # mov eax, 20 (ia32 getpid); int 0x80; ret
    ctypes.memmove(page, code, len(code))
    r = ctypes.CFUNCTYPE(ctypes.c_int)(page)()
    if r < 0:
        raise OSError(-r, os.strerror(-r))
    return {'pid': r, 'own': os.getpid()}
attempt('int80', int80_getpid)
def tiocsti():
    import fcntl, termios
    master, slave = os.openpty()
    def inject():
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        fcntl.ioctl(slave, termios.TIOCSTI, b'x')
        return 'injected'
    try:
        return in_child(inject)
    finally:
        os.close(master)
        os.close(slave)
attempt('tiocsti', tiocsti)

# Round 2 (docs/security-model.md): socket families no network namespace covers, a side channel on
# the shared /etc and /usr, a syscall number newer than any table, root-only global /proc files,
# and what PID 1's command line shows.
def sock(family, typ):
    socket.socket(family, typ).close()
    return 'created'
attempt('socket_vsock', lambda: sock(40, socket.SOCK_STREAM))
attempt('socket_alg', lambda: sock(38, socket.SOCK_SEQPACKET))
attempt('socket_packet', lambda: sock(17, socket.SOCK_DGRAM))
attempt('fanotify_init', lambda: in_child(lambda: sys_('fanotify_init', 0, 0)))
attempt('syscall_unknown', lambda: sys_('unknown'))
def first_bytes(path):
    with open(path, 'rb') as f:
        return len(f.read(8))
attempt('read_kpageflags', lambda: first_bytes('/proc/kpageflags'))
attempt('read_slabinfo', lambda: first_bytes('/proc/slabinfo'))
def pid1_cmdline():
    with open('/proc/1/cmdline', 'rb') as f:
        return [a.decode() for a in f.read().split(b'\0') if a]
attempt('pid1_cmdline', pid1_cmdline)
print(json.dumps(out))
`;
