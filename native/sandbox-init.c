/*
 * sandbox-init: the one small process temporal-sandbox starts inside a run's namespaces.
 *
 *   sandbox-init [--lo-up] [--listen PORT]... [--die-with-parent] -- COMMAND [ARG...]
 *   sandbox-init [--lo-up] [--listen PORT]... --spec-fd FD
 *   sandbox-init --exec-with-parent-death -- PROGRAM [ARG...]
 *
 * Why it exists (see README, "How a run works"):
 *  - --listen PORT creates a listening TCP socket on 127.0.0.1:PORT *inside* the run's network
 *    namespace and hands it to the worker over Node's IPC channel (fd $NODE_CHANNEL_FD, the wire
 *    format of child.send(msg, handle)). The worker's proxies then accept connections made inside
 *    the namespace directly: no relay process, no host port, nothing another local process can reach.
 *  - --lo-up brings loopback up (util-linux unshare leaves it down; bubblewrap does it itself).
 *  - It supervises the command: forwards SIGTERM/SIGINT/SIGQUIT to every process of the run, reaps
 *    orphans when it is PID 1, kills whatever is left when the command ends, and reports the exact
 *    wait status (exit code or signal) to the worker, which a shell-style exit code cannot.
 *  - --spec-fd FD: set everything up, say {"sandboxReady":true}, then read the command from FD
 *    (NUL-terminated strings: argc, argv..., envc, env..., cwd) and run it with exactly that
 *    environment. This is what lets the worker start a run's namespaces before the run is asked
 *    for (a warm sandbox): the expensive part is done ahead, the command arrives later.
 *  - --exec-with-parent-death sets PR_SET_PDEATHSIG(SIGKILL) and execs PROGRAM: util-linux unshare
 *    has no --die-with-parent, so the worker's death must reach it this way.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_LISTEN 4

static pid_t child = -1;
static int is_init = 0;
static pid_t parent_at_start = -1;

static void die(const char *what) {
  fprintf(stderr, "temporal-sandbox: sandbox-init: %s: %s\n", what, strerror(errno));
  _exit(125);
}

/* Forward a termination signal to every process of the run. Runs in a signal handler:
 * kill() is async-signal-safe. As PID 1 of the run's PID namespace, kill(-1) reaches every other
 * process in it; without a namespace (backend none) the command's process group is what we have. */
static void forward(int sig) {
  if (child <= 0) return;
  if (is_init) kill(-1, sig);
  else kill(-child, sig);
}

/* Backend none only: the worker died (PR_SET_PDEATHSIG delivers SIGHUP); take the run with us. */
static void parent_died(int sig) {
  (void)sig;
  if (child > 0) kill(-child, SIGKILL);
  _exit(137);
}

/* Backend none: SIGKILL the command's process group, then every child we have (orphans of the
 * run that left the group are reparented to us, a subreaper) and reap, until none is left. A
 * grandchild reparented while we wait is killed in the next round. */
static void kill_descendants(void) {
  kill(-child, SIGKILL);
  char path[64], buf[4096];
  snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
  for (;;) {
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f) fclose(f);
    buf[n] = 0;
    for (char *tok = strtok(buf, " \n"); tok; tok = strtok(NULL, " \n")) kill((pid_t)atoi(tok), SIGKILL);
    if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD) return;
  }
}

static void lo_up(void) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) die("socket for loopback");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) die("read loopback flags");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) die("bring loopback up");
  close(s);
}

static int listen_loopback(int port) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) die("socket");
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s, (struct sockaddr *)&a, sizeof a) < 0) die("bind proxy port inside the namespace");
  if (listen(s, SOMAXCONN) < 0) die("listen");
  return s;
}

/* One JSON line per sendmsg: Node's IPC reader delivers at most one handle per read, and the
 * kernel never merges a message carrying SCM_RIGHTS with its neighbours. */
static void send_line(int channel, const char *line, int fd) {
  struct iovec iov = {.iov_base = (void *)line, .iov_len = strlen(line)};
  char control[CMSG_SPACE(sizeof(int))];
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (fd >= 0) {
    memset(control, 0, sizeof control);
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
  }
  ssize_t n;
  do n = sendmsg(channel, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0 && fd >= 0) die("hand the proxy socket to the worker");
}

/* Sends the last message and lets the worker read it. Closing a Unix socket with unread data
 * (Node answers every handle with an ACK we never read) makes the kernel reset the peer, and
 * Node then drops what it had not read yet: the exit status. So: half-close, read the worker's
 * side until it closes (it does on our EOF), and only then exit. Bounded, in case it never does. */
static void send_last(int channel, const char *line) {
  if (channel < 0) return;
  send_line(channel, line, -1);
  shutdown(channel, SHUT_WR);
  char drain[4096];
  struct pollfd p = {.fd = channel, .events = POLLIN};
  while (poll(&p, 1, 5000) > 0) {
    ssize_t n = read(channel, drain, sizeof drain);
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) break;
  }
}

static int channel_fd(void) {
  const char *v = getenv("NODE_CHANNEL_FD");
  if (!v || !*v) return -1;
  int fd = atoi(v);
  unsetenv("NODE_CHANNEL_FD");
  unsetenv("NODE_CHANNEL_SERIALIZATION_MODE");
  return fd;
}

static void exec_command(char **argv) {
  execvp(argv[0], argv);
  int code = (errno == ENOENT) ? 127 : 126;
  fprintf(stderr, "temporal-sandbox: cannot run '%s': %s\n", argv[0], strerror(errno));
  _exit(code);
}

/* The command spec of --spec-fd: read to EOF, then split into NUL-terminated strings. */
#define MAX_SPEC (16 << 20)
static char *next_string(char **p, char *end) {
  char *s = *p, *z = memchr(s, 0, (size_t)(end - s));
  if (!z) { errno = EINVAL; die("command spec is truncated"); }
  *p = z + 1;
  return s;
}

static char **read_spec(int fd, char ***env_out, char **cwd_out) {
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  if (!buf) die("malloc");
  for (;;) {
    if (len == cap) {
      if (cap >= MAX_SPEC) { errno = E2BIG; die("command spec"); }
      cap *= 2;
      buf = realloc(buf, cap);
      if (!buf) die("realloc");
    }
    ssize_t n = read(fd, buf + len, cap - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die("read command spec");
    if (n == 0) break;
    len += (size_t)n;
  }
  close(fd);
  if (len == 0) _exit(0); /* a warm sandbox that was never used: leave quietly */
  char *p = buf, *end = buf + len;
#define NEXT() next_string(&p, end)
  long argc = strtol(NEXT(), NULL, 10);
  if (argc <= 0 || argc > 1 << 20) { errno = EINVAL; die("command spec argc"); }
  char **argv = calloc((size_t)argc + 1, sizeof *argv);
  for (long k = 0; k < argc; k++) argv[k] = NEXT();
  long envc = strtol(NEXT(), NULL, 10);
  if (envc < 0 || envc > 1 << 20) { errno = EINVAL; die("command spec envc"); }
  char **env = calloc((size_t)envc + 1, sizeof *env);
  for (long k = 0; k < envc; k++) env[k] = NEXT();
  *cwd_out = NEXT();
  *env_out = env;
#undef NEXT
  return argv;
}

static int usage(void) {
  fprintf(stderr,
          "usage: sandbox-init [--lo-up] [--listen PORT]... [--die-with-parent] -- COMMAND [ARG...]\n"
          "       sandbox-init [--lo-up] [--listen PORT]... --spec-fd FD\n"
          "       sandbox-init --exec-with-parent-death -- PROGRAM [ARG...]\n");
  return 125;
}

int main(int argc, char **argv) {
  int want_lo = 0, die_with_parent = 0, exec_only = 0, nlisten = 0, ports[MAX_LISTEN], spec_fd = -1;
  int i = 1;
  for (; i < argc; i++) {
    if (!strcmp(argv[i], "--")) { i++; break; }
    if (!strcmp(argv[i], "--lo-up")) want_lo = 1;
    else if (!strcmp(argv[i], "--die-with-parent")) die_with_parent = 1;
    else if (!strcmp(argv[i], "--exec-with-parent-death")) exec_only = 1;
    else if (!strcmp(argv[i], "--spec-fd") && i + 1 < argc) spec_fd = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--listen") && i + 1 < argc && nlisten < MAX_LISTEN) {
      int p = atoi(argv[++i]);
      if (p <= 0 || p > 65535) return usage();
      ports[nlisten++] = p;
    } else return usage();
  }
  if (i >= argc && spec_fd < 0) return usage();
  char **command = argv + i;

  if (exec_only) {
    parent_at_start = getppid();
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) die("prctl(PR_SET_PDEATHSIG)");
    if (getppid() != parent_at_start) _exit(137); /* the worker is already gone */
    execvp(command[0], command);
    die(command[0]);
  }

  is_init = getpid() == 1;
  int channel = channel_fd();
  if (want_lo) lo_up();
  for (int k = 0; k < nlisten; k++) {
    int s = listen_loopback(ports[k]);
    char line[160];
    snprintf(line, sizeof line,
             "{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Native\",\"msg\":{\"sandboxListen\":%d}}\n", ports[k]);
    if (channel < 0) { errno = EBADF; die("no IPC channel for --listen"); }
    send_line(channel, line, s);
    close(s); /* the worker holds the only copy now: the command cannot accept on it */
  }

  if (spec_fd >= 0) {
    if (channel >= 0) send_line(channel, "{\"sandboxReady\":true}\n", -1);
    char **env, *cwd;
    command = read_spec(spec_fd, &env, &cwd);
    environ = env; /* execvp searches the command's own PATH */
    if (*cwd && chdir(cwd) < 0) {
      fprintf(stderr, "temporal-sandbox: cannot enter '%s': %s\n", cwd, strerror(errno));
      send_last(channel, "{\"sandboxExit\":{\"code\":125}}\n");
      _exit(125);
    }
  }

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = forward;
  sigemptyset(&sa.sa_mask);
  int forwarded[] = {SIGTERM, SIGINT, SIGQUIT};
  for (unsigned k = 0; k < sizeof forwarded / sizeof *forwarded; k++) sigaction(forwarded[k], &sa, NULL);
  if (die_with_parent && !is_init) {
    sa.sa_handler = parent_died;
    sigaction(SIGHUP, &sa, NULL);
    parent_at_start = getppid();
    prctl(PR_SET_PDEATHSIG, SIGHUP);
    if (getppid() != parent_at_start) _exit(137);
  }

  /* Without a PID namespace (backend none), orphans of the run are reparented to us instead of
   * to the host's init, so that they can be found and reaped at the end. */
  if (!is_init) prctl(PR_SET_CHILD_SUBREAPER, 1);

  child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    if (channel >= 0) close(channel);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (unsigned k = 0; k < sizeof forwarded / sizeof *forwarded; k++) sigaction(forwarded[k], &dfl, NULL);
    sigaction(SIGHUP, &dfl, NULL);
    if (!is_init) setpgid(0, 0);
    exec_command(command);
  }
  if (!is_init) setpgid(child, child); /* both sides, so forward() never races the child's setpgid */

  int status = 0;
  for (;;) {
    int st;
    pid_t p = waitpid(-1, &st, 0);
    if (p < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p == child) { status = st; break; }
  }

  /* Nothing of a run outlives its command: kill what is left, and reap it, so that it is gone
   * (not merely signalled) by the time the worker hears the exit status. */
  if (is_init) {
    kill(-1, SIGKILL);
    while (waitpid(-1, NULL, 0) > 0 || errno == EINTR) {}
  } else {
    kill_descendants();
  }

  char line[96];
  if (WIFSIGNALED(status))
    snprintf(line, sizeof line, "{\"sandboxExit\":{\"signal\":%d}}\n", WTERMSIG(status));
  else
    snprintf(line, sizeof line, "{\"sandboxExit\":{\"code\":%d}}\n", WEXITSTATUS(status));
  send_last(channel, line);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}
