/*
 * sandbox-init: the one small program temporal-sandbox adds to a run (docs/mechanism.md).
 *
 *   sandbox-init launch [--cgroup DIR] [--uid UID --gid GID] [--own-netns [--capture]] -- PROGRAM [ARG...]
 *       Outside any namespace, just before the backend starts: join the run's cgroup, become
 *       the run's unprivileged host user, for bubblewrap with capture make the network namespace
 *       and its capture (capture.c), tie our life to the worker's, exec PROGRAM (bwrap or
 *       unshare, which then start `sandbox-init init` inside the new namespaces).
 *
 *   sandbox-init init --spec-fd FD [--lo-up] [--capture] [--hostname NAME] [--listen PORT]...
 *                     [--tmpfs-inodes DEST SIZE COUNT]...   (bubblewrap: mount a capped tmpfs)
 *                     [VIEW OPTION]... [--mask-root-only] [--landlock-{list,read,write,dev,proc} PATH]...
 *                     [--counted-outside N] [--no-namespace]
 *       PID 1 of the run. In phases: close what the worker did not mean to pass; build the view
 *       (backend userns; bubblewrap builds it itself); bring loopback up; create the proxies'
 *       listening sockets and hand them to the worker; mask root-only files (host uid 0); drop
 *       every capability; report ready; read the command; start it behind no_new_privs,
 *       Landlock and seccomp; supervise it; report its exact wait status and any limit hit.
 *
 *   sandbox-init relay
 *       Outside every sandbox, one per worker process: moves the bytes of established tunnels
 *       in the kernel (relay.c).
 *
 *   sandbox-init seccomp-verdicts
 *       For the tests, not in the usage: the seccomp filter's answer to each probe, computed
 *       from the program without installing it (verdicts.c).
 *
 * Every failure before the command runs goes through die() (util.c): one line, exit 125.
 */
#define _GNU_SOURCE
#include "capture.h"
#include "caps.h"
#include "ipc.h"
#include "landlock.h"
#include "listen.h"
#include "relay.h"
#include "seccomp.h"
#include "spec.h"
#include "supervise.h"
#include "util.h"
#include "verdicts.h"
#include "view.h"
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_LISTEN 4
/* How many descriptors the launcher handed to the worker (it sets it, init reads it). */
#define HANDED_ENV "SANDBOX_INIT_HANDED"
#define MAX_OPS 256
#define MAX_RULES 256

/* ================================ launch ================================================ */

static int launch(int argc, char **argv) {
  const char *cgroup = NULL;
  long long uid = -1, gid = -1;
  int own_netns = 0, capture = 0, i = 0;
  for (; i < argc; i++) {
    if (!strcmp(argv[i], "--")) { i++; break; }
    if (!strcmp(argv[i], "--cgroup") && i + 1 < argc) cgroup = argv[++i];
    else if (!strcmp(argv[i], "--uid") && i + 1 < argc) uid = parse_number(argv[++i], 1, 0xfffffffeLL, "--uid");
    else if (!strcmp(argv[i], "--gid") && i + 1 < argc) gid = parse_number(argv[++i], 1, 0xfffffffeLL, "--gid");
    else if (!strcmp(argv[i], "--own-netns")) own_netns = 1;
    else if (!strcmp(argv[i], "--capture")) capture = 1;
    else die("launch: unknown option '%s'", argv[i]);
  }
  if (i >= argc) die("launch: no program after --");
  if ((uid < 0) != (gid < 0)) die("launch: give --uid and --gid together");
  if (capture && !own_netns) die("launch: --capture needs --own-netns");

  /* Phase: the cgroup, while we may still write to it. Everything the run starts stays in it. */
  if (cgroup) {
    char *procs = xconcat(cgroup, "/cgroup.procs");
    int fd = open(procs, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "0", 1) != 1) die_errno("join the run's cgroup %s", cgroup);
    close(fd);
  }
  /* Phase: the run's own host user, with no supplementary groups of the worker's. */
  if (uid >= 0) {
    if (setgroups(0, NULL) < 0) die_errno("drop supplementary groups");
    if (setresgid((gid_t)gid, (gid_t)gid, (gid_t)gid) < 0) die_errno("become gid %lld", gid);
    if (setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) < 0) die_errno("become uid %lld", uid);
    if (getuid() != (uid_t)uid || geteuid() != (uid_t)uid || getgid() != (gid_t)gid) die("the uid did not change");
  }
  /* Phase: the network namespace and its capture, as the run's user, before bwrap makes the
   * command's user namespace beneath ours. The channel stays for `init` (not taken here). */
  if (own_netns) {
    net_own_namespace();
    if (capture) {
      int n = capture_setup(ipc_peek_channel());
      char count[16];
      snprintf(count, sizeof count, "%d", n);
      if (setenv(HANDED_ENV, count, 1) < 0) die_errno("setenv");
    }
  }
  /* Phase: the worker's death ends the run. After the uid change, which clears this setting. */
  pid_t parent = getppid();
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) die_errno("prctl(PR_SET_PDEATHSIG)");
  if (getppid() != parent) _exit(137); /* the worker is already gone */
  execvp(argv[i], argv + i);
  die_errno("start %s", argv[i]);
}

/* ================================ init ================================================== */

#define MAX_TMPFS 4

struct init_args {
  int spec_fd, lo_up, capture, mask_root_only, no_namespace, counted_outside;
  struct { const char *dest; long long bytes, inodes; } tmpfs[MAX_TMPFS];
  int ntmpfs;
  const char *hostname;
  int ports[MAX_LISTEN], nports;
  struct view_op ops[MAX_OPS];
  int nops;
  struct landlock_rule rules[MAX_RULES];
  int nrules;
};

static void parse_init(int argc, char **argv, struct init_args *a) {
  memset(a, 0, sizeof *a);
  a->spec_fd = -1;
  for (int i = 0; i < argc; i++) {
    const char *o = argv[i];
    int more = i + 1 < argc;
    if (a->nops < MAX_OPS && view_parse(argc, argv, &i, &a->ops[a->nops])) { a->nops++; continue; }
    if (!strcmp(o, "--spec-fd") && more) a->spec_fd = (int)parse_number(argv[++i], 0, 1 << 20, "--spec-fd");
    else if (!strcmp(o, "--lo-up")) a->lo_up = 1;
    else if (!strcmp(o, "--capture")) a->capture = 1;
    else if (!strcmp(o, "--mask-root-only")) a->mask_root_only = 1;
    else if (!strcmp(o, "--no-namespace")) a->no_namespace = 1;
    else if (!strcmp(o, "--hostname") && more) a->hostname = argv[++i];
    else if (!strcmp(o, "--tmpfs-inodes") && i + 3 < argc) {
      if (a->ntmpfs >= MAX_TMPFS) die("too many --tmpfs-inodes");
      a->tmpfs[a->ntmpfs].dest = argv[++i];
      a->tmpfs[a->ntmpfs].bytes = parse_number(argv[++i], 4096, 1LL << 50, "--tmpfs-inodes size");
      a->tmpfs[a->ntmpfs++].inodes = parse_number(argv[++i], 64, 1LL << 32, "--tmpfs-inodes count");
    }
    else if (!strcmp(o, "--counted-outside") && more) a->counted_outside = (int)parse_number(argv[++i], 0, 16, "--counted-outside");
    else if (!strcmp(o, "--listen") && more) {
      if (a->nports >= MAX_LISTEN) die("too many --listen ports");
      a->ports[a->nports++] = (int)parse_number(argv[++i], 1, 65535, "--listen port");
    } else if (!strncmp(o, "--landlock-", 11) && more) {
      if (a->nrules >= MAX_RULES) die("too many Landlock rules");
      const char *c = o + 11;
      enum landlock_class cls = !strcmp(c, "list") ? LL_LIST : !strcmp(c, "read") ? LL_READ : !strcmp(c, "write") ? LL_WRITE
                              : !strcmp(c, "dev") ? LL_DEVICES : !strcmp(c, "proc") ? LL_PROC : (enum landlock_class)-1;
      if ((int)cls < 0) die("unknown option '%s'", o);
      a->rules[a->nrules++] = (struct landlock_rule){cls, argv[++i]};
    } else die("unknown option '%s'", o);
  }
  if (a->spec_fd < 0) die("init needs --spec-fd");
}

/* Phase: only what we were meant to have. A descriptor the worker's own parent left open would
 * otherwise reach the command (a socket of the host's, a file outside the view). */
static void close_stray_fds(int keep1, int keep2) {
  int keep[4] = {2, keep1, keep2, -1}, n = 3;
  /* sort the kept fds (tiny insertion sort), then close the gaps between them */
  for (int x = 1; x < n; x++)
    for (int y = x; y > 0 && keep[y] < keep[y - 1]; y--) { int t = keep[y]; keep[y] = keep[y - 1]; keep[y - 1] = t; }
  unsigned from = 3;
  for (int k = 0; k < n; k++) {
    if (keep[k] < (int)from) continue;
    if ((unsigned)keep[k] > from) syscall(SYS_close_range, from, (unsigned)keep[k] - 1, 0);
    from = (unsigned)keep[k] + 1;
  }
  syscall(SYS_close_range, from, ~0u, 0);
}

/* Phase (bubblewrap): /tmp and /dev/shm, with a cap on their files as well as their size: empty
 * files cost kernel memory that a size does not count, and bubblewrap has no option for it. Its
 * mount namespace belongs to the outer of the two user namespaces it makes (it nests one for its
 * /dev), so nothing can be mounted in it from here: a mount namespace of our own. */
static void mount_capped_tmpfs(const struct init_args *a) {
  if (a->ntmpfs == 0) return;
  if (unshare(CLONE_NEWNS) < 0) die_errno("a mount namespace for the capped tmpfs mounts");
  for (int k = 0; k < a->ntmpfs; k++) {
    char data[96];
    snprintf(data, sizeof data, "size=%lld,nr_inodes=%lld,mode=1777", a->tmpfs[k].bytes, a->tmpfs[k].inodes);
    if (mount("tmpfs", a->tmpfs[k].dest, "tmpfs", MS_NOSUID | MS_NODEV, data) < 0) die_errno("mount the capped tmpfs on %s", a->tmpfs[k].dest);
  }
}

/* Phase: the proxies' sockets, created here so that only the run can reach them, handed over. */
static void hand_over_listeners(int channel, const struct init_args *a) {
  for (int k = 0; k < a->nports; k++) {
    char name[16];
    snprintf(name, sizeof name, "%d", a->ports[k]);
    hand_listener(channel, name, "net.Native", listen_inside(AF_INET, SOCK_STREAM, a->ports[k], 0));
  }
}

static void set_limit(int resource, long long value, const char *what) {
  if (value < 0) return;
  struct rlimit cur;
  if (getrlimit(resource, &cur) < 0) die_errno("read the %s limit", what);
  rlim_t v = (rlim_t)value;
  /* A lower limit already in force also keeps the promise "at most value". */
  if (cur.rlim_max != RLIM_INFINITY && v > cur.rlim_max) v = cur.rlim_max;
  struct rlimit lim = {.rlim_cur = v, .rlim_max = v};
  /* CPU: SIGXCPU at the limit, SIGKILL a little later for a command that ignores it. */
  if (resource == RLIMIT_CPU && (cur.rlim_max == RLIM_INFINITY || v + 5 <= cur.rlim_max)) lim.rlim_max = v + 5;
  if (setrlimit(resource, &lim) < 0) die_errno("set the %s limit to %lld", what, value);
}

/* Phase (in the command's process): the backstops, then exec. Each step either holds or the run
 * fails with the reason, through report_fd: a posture is never claimed and not kept. */
static void start_command(const struct init_args *a, const struct spec *s, int landlock, int errpipe) {
  report_fd = errpipe;
  setsid(); /* no controlling terminal to push input into */
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &dfl, NULL);
  if (*s->cwd && chdir(s->cwd) < 0) die_errno("input: cwd '%s' is not a directory inside the view", s->cwd);
  set_limit(RLIMIT_NPROC, s->nproc, "processes");
  set_limit(RLIMIT_FSIZE, s->fsize, "file size");
  set_limit(RLIMIT_NOFILE, s->nofile, "open files");
  set_limit(RLIMIT_CPU, s->cpu, "CPU time");
  set_limit(RLIMIT_DATA, s->data, "memory (data)"); /* where no cgroup limits the run's memory */
  set_limit(RLIMIT_CORE, 0, "core size"); /* a core dump of a hostile command helps nobody */
  if (!a->no_namespace) {
    caps_verify_none();
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die_errno("set no_new_privs");
    if (landlock > 0 && a->nrules > 0) landlock_restrict(landlock, a->rules, a->nrules);
  }
  syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC); /* only 0, 1, 2 reach the command */
  if (!a->no_namespace) seccomp_install();
  report_fd = -1;
  execvpe(s->argv[0], s->argv, s->env);
  int code = errno == ENOENT ? 127 : 126;
  fprintf(stderr, "temporal-sandbox: cannot run '%s': %s\n", s->argv[0], strerror(errno));
  _exit(code);
}

/* What the command's process reported before exec: "" when exec happened. */
static void read_setup_failure(int fd, char *buf, size_t cap) {
  size_t len = 0;
  for (;;) {
    ssize_t n = read(fd, buf + len, cap - 1 - len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    len += (size_t)n;
    if (len >= cap - 1) break;
  }
  buf[len] = 0;
  close(fd);
}

static int init(int argc, char **argv) {
  struct init_args a;
  parse_init(argc, argv, &a);
  prctl(PR_SET_NAME, "sandbox-init", 0, 0, 0); /* started as /proc/self/fd/N, it would be "N" in ps */
  int channel = ipc_take_channel();
  close_stray_fds(channel, a.spec_fd);
  int is_init = getpid() == 1;

  if (a.nops > 0) view_build(a.ops, a.nops);
  if (a.hostname && sethostname(a.hostname, strlen(a.hostname)) < 0) die_errno("set the host name");
  if (a.lo_up) net_lo_up();
  /* Descriptors handed to the worker, here or by the launcher: each gets an ACK to read. */
  int handed = a.nports;
  const char *by_launcher = getenv(HANDED_ENV);
  if (by_launcher) handed += (int)parse_number(by_launcher, 0, 16, HANDED_ENV);
  unsetenv(HANDED_ENV);
  if (a.capture) handed += capture_setup(channel);
  hand_over_listeners(channel, &a);

  char masked[8192] = "";
  int nmasked = 0;
  if (a.mask_root_only) view_mask_root_only(masked, sizeof masked, &nmasked);
  mount_capped_tmpfs(&a);
  if (!a.no_namespace) caps_drop_all();
  /* The command must not ptrace PID 1 (which holds the channel to the worker), nor read its
   * memory or descriptors through /proc/1. */
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) die_errno("prctl(PR_SET_DUMPABLE)");

  const char *why = "";
  int landlock = a.no_namespace ? 0 : landlock_abi(&why);
  char ready[9000];
  snprintf(ready, sizeof ready, "{\"sandboxReady\":true,\"landlock\":%d,\"landlockWhy\":", landlock);
  json_string(ready, sizeof ready - 64, why);
  snprintf(ready + strlen(ready), sizeof ready - strlen(ready), ",\"masked\":[%s],\"maskedCount\":%d}\n", masked, nmasked);
  ipc_send(channel, ready, -1);

  struct spec s;
  memset(&s, 0, sizeof s);
  if (!spec_read(a.spec_fd, &s)) return 0; /* a warm sandbox that was never used: leave quietly */

  supervise_prepare(is_init);
  int errpipe[2];
  if (pipe2(errpipe, O_CLOEXEC) < 0) die_errno("pipe");
  pid_t child = fork();
  if (child < 0) die_errno("fork");
  if (child == 0) {
    close(errpipe[0]);
    if (channel >= 0) close(channel);
    start_command(&a, &s, landlock, errpipe[1]);
  }
  supervise_set_child(child);
  close(errpipe[1]);
  char failure[1100];
  read_setup_failure(errpipe[0], failure, sizeof failure);
  char line[1400];
  if (*failure) {
    supervise_end_all();
    snprintf(line, sizeof line, "{\"sandboxExit\":{\"setupError\":");
    json_string(line, sizeof line - 4, failure);
    strcat(line, "}}\n");
    ipc_send_last(channel, line, handed);
    return SETUP_FAILED;
  }

  struct outcome out = supervise(is_init ? s.nproc : 0, a.counted_outside);
  supervise_end_all();
  if (WIFSIGNALED(out.status))
    snprintf(line, sizeof line, "{\"sandboxExit\":{\"signal\":%d", WTERMSIG(out.status));
  else
    snprintf(line, sizeof line, "{\"sandboxExit\":{\"code\":%d", WEXITSTATUS(out.status));
  if (out.limit) snprintf(line + strlen(line), sizeof line - strlen(line), ",\"limit\":\"%s\"", out.limit);
  strcat(line, "}}\n");
  ipc_send_last(channel, line, handed);
  return WIFSIGNALED(out.status) ? 128 + WTERMSIG(out.status) : WEXITSTATUS(out.status);
}

/* PID 1's arguments hold the view: host paths of every bind, Landlock's rules. The command may
 * read /proc/1/cmdline, so init works from a copy and leaves only its name in the original. */
static char **hide_arguments(int argc, char **argv) {
  char **copy = xcalloc((size_t)argc + 1, sizeof *copy);
  for (int k = 0; k < argc; k++) copy[k] = xstrdup(argv[k]);
  char *start = argv[0], *end = argv[argc - 1] + strlen(argv[argc - 1]);
  memset(start, 0, (size_t)(end - start));
  snprintf(start, (size_t)(end - start) + 1, "sandbox-init");
  return copy;
}

int main(int argc, char **argv) {
  if (argc >= 2 && !strcmp(argv[1], "launch")) return launch(argc - 2, argv + 2);
  if (argc >= 2 && !strcmp(argv[1], "init")) {
    char **args = hide_arguments(argc, argv);
    return init(argc - 2, args + 2);
  }
  if (argc >= 2 && !strcmp(argv[1], "relay")) relay_main();
  if (argc == 2 && !strcmp(argv[1], "seccomp-verdicts")) return seccomp_verdicts();
  fprintf(stderr,
          "usage: sandbox-init launch [--cgroup DIR] [--uid UID --gid GID] -- PROGRAM [ARG...]\n"
          "       sandbox-init init --spec-fd FD [options]   (see the comment at the top of sandbox-init.c)\n");
  return SETUP_FAILED;
}
