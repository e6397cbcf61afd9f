/*
 * sandbox-init relay (docs/mechanism.md, "The relay"): moves the bytes of established tunnels in
 * the kernel, with splice(2) through pipes, for every run of one worker process. The worker
 * decides; this process only dials the address the worker chose, answers the client with the
 * bytes it was given, relays, and reports each tunnel's exact byte counts when it ends.
 *
 * It runs outside every sandbox, as the worker's own user, and speaks Node's IPC wire format on
 * NODE_CHANNEL_FD (native/ipc.h), as `init` does. From the worker, each tunnel is one handle message:
 *   {"cmd":"NODE_HANDLE","type":"net.Socket","msg":{"rid":N,"rto":"ADDR","rport":P,
 *    "rreply":"HEX","rhead":"HEX","ridle":MS,"rconn":MS},...}   + the client's socket (SCM_RIGHTS)
 * and {"rend":N} ends tunnel N (a proxy closing). To the worker:
 *   {"ropen":N}                      connected: the reply, the early bytes, then the rest flow
 *   {"rfail":N,"code":"ECONNREFUSED"} the dial failed; the worker answers the client
 *   {"rdone":N,"up":U,"down":D,"how":"closed|reset|idle|run-end"}   the tunnel is over
 * The worker keeps its own descriptor of the client until rdone and closes it then. Nothing here
 * blocks: the reply and the early bytes are written as their sockets take them, like the rest.
 */
#define _GNU_SOURCE
#include "relay.h"
#include "ipc.h"
#include "util.h"
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 256
#define MAX_FDS_QUEUED 64
#define PIPE_POOL 64
#define ROUNDS_PER_EVENT 8 /* a busy tunnel yields after this many pipe-fulls */
#define PIPE_BYTES (256 << 10)

enum { CONNECTING, OPEN };

struct dir {           /* one direction, from fd[k] to fd[1-k] */
  unsigned char *mem;  /* bytes from the worker that go first: the reply (down), early bytes (up) */
  size_t mem_len, mem_off;
  int pipe[2];         /* held only while bytes are in it */
  size_t inpipe;
  unsigned long long moved;
  int eof, done;
};

struct tunnel;
struct end { struct tunnel *t; int side; };

struct tunnel {
  long long id;
  int fd[2];           /* 0: the client (a duplicate of the worker's), 1: the upstream */
  struct dir d[2];     /* d[0]: client -> upstream (up), d[1]: upstream -> client (down) */
  int state;
  long long idle_ms, deadline, last;
  unsigned watching[2];
  int registered[2];
  int dead;            /* ended in this batch of events; freed after it */
  struct end ends[2];
  struct tunnel *prev, *next;
};

static int ep = -1, channel = -1;
static struct tunnel *tunnels, *graveyard;
static int pool[PIPE_POOL][2], pooled;
static int fdq[MAX_FDS_QUEUED], fdq_len;

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the channel ------------------------------------------------------------------------ */

static void say(const char *line) {
  size_t len = strlen(line), off = 0;
  while (off < len) {
    ssize_t n = write(channel, line + off, len - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(0); /* the worker is gone: so are we */
    off += (size_t)n;
  }
}

/* Hex text to bytes, freshly allocated; NULL when it is not hex. */
static unsigned char *unhex(const char *hex, size_t hexlen, size_t *len) {
  if (hexlen % 2) return NULL;
  unsigned char *out = xcalloc(hexlen / 2 + 1, 1);
  for (size_t i = 0; i < hexlen; i++) {
    char c = hex[i];
    int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (v < 0) { free(out); return NULL; }
    out[i / 2] = (unsigned char)(i % 2 ? out[i / 2] | v : v << 4);
  }
  *len = hexlen / 2;
  return out;
}

/* ---- pipes, taken only while bytes are in flight ------------------------------------------ */

static int take_pipe(int p[2]) {
  if (pooled > 0) {
    pooled--;
    p[0] = pool[pooled][0];
    p[1] = pool[pooled][1];
    return 0;
  }
  if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0) return -1;
  fcntl(p[1], F_SETPIPE_SZ, PIPE_BYTES); /* fewer, larger moves; the default where refused */
  return 0;
}

static void give_pipe(int p[2]) {
  if (p[0] < 0) return;
  if (pooled < PIPE_POOL) {
    pool[pooled][0] = p[0];
    pool[pooled][1] = p[1];
    pooled++;
  } else {
    close(p[0]);
    close(p[1]);
  }
  p[0] = p[1] = -1;
}

/* ---- a tunnel's life ---------------------------------------------------------------------- */

/* Interest in a side, level-triggered. NONE keeps it in the set for errors alone (EPOLLERR is
 * always reported: a reset while we wait on the other side); GONE takes it out, for a side shut
 * both ways, whose standing EPOLLHUP would otherwise wake us over and over. */
#define GONE 0xffffffffu
static void watch(struct tunnel *t, int side, unsigned events) {
  if (t->fd[side] < 0 || (t->registered[side] && t->watching[side] == events)) return;
  struct epoll_event ev = {.events = events == GONE ? 0 : events, .data.ptr = &t->ends[side]};
  if (events == GONE) {
    if (t->registered[side]) epoll_ctl(ep, EPOLL_CTL_DEL, t->fd[side], &ev);
    t->registered[side] = 0;
  } else {
    if (epoll_ctl(ep, t->registered[side] ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, t->fd[side], &ev) < 0) die_errno("relay: epoll_ctl");
    t->registered[side] = 1;
  }
  t->watching[side] = events;
}

static void unlink_tunnel(struct tunnel *t) {
  if (t->prev) t->prev->next = t->next;
  else tunnels = t->next;
  if (t->next) t->next->prev = t->prev;
}

static void free_tunnel(struct tunnel *t) {
  for (int k = 0; k < 2; k++) {
    /* Out of the set first: the client's socket lives on in the worker, and epoll forgets a
     * socket only when its last descriptor closes. */
    if (t->registered[k]) epoll_ctl(ep, EPOLL_CTL_DEL, t->fd[k], NULL);
    t->registered[k] = 0;
    if (t->fd[k] >= 0) close(t->fd[k]);
    /* A pipe still holding bytes cannot go back to the pool. */
    if (t->d[k].inpipe > 0 && t->d[k].pipe[0] >= 0) {
      close(t->d[k].pipe[0]);
      close(t->d[k].pipe[1]);
      t->d[k].pipe[0] = t->d[k].pipe[1] = -1;
    }
    give_pipe(t->d[k].pipe);
  }
  unlink_tunnel(t);
  free(t->d[0].mem);
  free(t->d[1].mem);
  /* Another event of this batch may still name it: freed once the batch is done. */
  t->dead = 1;
  t->next = graveyard;
  graveyard = t;
}

static void bury(void) {
  while (graveyard) {
    struct tunnel *t = graveyard;
    graveyard = t->next;
    free(t);
  }
}

/* The tunnel is over: how it ended, with every byte that reached the other side. */
static void finish(struct tunnel *t, const char *how) {
  if (strcmp(how, "closed") != 0) {
    /* An abort travels on as a reset, as a destroyed socket's would. */
    struct linger hard = {.l_onoff = 1, .l_linger = 0};
    for (int k = 0; k < 2; k++)
      if (t->fd[k] >= 0) setsockopt(t->fd[k], SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  }
  char line[200];
  snprintf(line, sizeof line, "{\"rdone\":%lld,\"up\":%llu,\"down\":%llu,\"how\":\"%s\"}\n", t->id, t->d[0].moved, t->d[1].moved, how);
  say(line);
  free_tunnel(t);
}

static void fail(struct tunnel *t, int err) {
  char line[200];
  const char *name = strerrorname_np(err);
  snprintf(line, sizeof line, "{\"rfail\":%lld,\"code\":\"%s\"}\n", t->id, name ? name : "EIO");
  say(line);
  free_tunnel(t);
}

/* Moves what can move in direction k now; -1 when the tunnel broke. */
static int pump(struct tunnel *t, int k) {
  struct dir *d = &t->d[k];
  int src = t->fd[k], dst = t->fd[1 - k];
  while (d->mem_off < d->mem_len) {
    ssize_t n = send(dst, d->mem + d->mem_off, d->mem_len - d->mem_off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno == EAGAIN ? 0 : -1;
    d->mem_off += (size_t)n;
    /* Early bytes are the client's, counted up; the reply is the proxy's own answer, not counted. */
    if (k == 0) d->moved += (unsigned long long)n;
    t->last = now_ms();
  }
  if (d->mem) {
    free(d->mem);
    d->mem = NULL;
  }
  for (int round = 0; round < ROUNDS_PER_EVENT; round++) {
    if (d->inpipe > 0) {
      ssize_t n = splice(d->pipe[0], NULL, dst, NULL, d->inpipe, SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
      if (n < 0) return errno == EAGAIN ? 0 : -1;
      d->inpipe -= (size_t)n;
      d->moved += (unsigned long long)n;
      t->last = now_ms();
      if (d->inpipe > 0) return 0; /* the other side is full: wait for it */
      continue;
    }
    if (d->eof) {
      if (!d->done) {
        shutdown(dst, SHUT_WR); /* half-close travels through */
        d->done = 1;
      }
      give_pipe(d->pipe);
      return 0;
    }
    if (d->pipe[0] < 0 && take_pipe(d->pipe) < 0) return -1;
    ssize_t n = splice(src, NULL, d->pipe[1], NULL, 1 << 20, SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
    if (n == 0) { d->eof = 1; continue; }
    if (n < 0) {
      if (errno != EAGAIN) return -1;
      give_pipe(d->pipe); /* empty: nobody needs it while we wait */
      return 0;
    }
    d->inpipe = (size_t)n;
    t->last = now_ms();
  }
  /* Out of rounds just as the source ended: the end must still travel now, for no event of
   * this direction will come again to carry it. */
  if (d->eof && d->inpipe == 0 && !d->done) {
    shutdown(dst, SHUT_WR);
    d->done = 1;
    give_pipe(d->pipe);
  }
  return 0;
}

/* Bytes still to write in direction k: from memory or in its pipe. */
static int pending(const struct dir *d) { return d->inpipe > 0 || d->mem_off < d->mem_len; }

/* Level-triggered interest: read from a side whose outgoing direction has nothing pending,
 * write to a side that has bytes waiting for it. */
static void rewatch(struct tunnel *t) {
  for (int side = 0; side < 2; side++) {
    unsigned ev = 0;
    if (!t->d[side].eof && !pending(&t->d[side])) ev |= EPOLLIN;
    if (pending(&t->d[1 - side])) ev |= EPOLLOUT;
    if (ev == 0 && t->d[side].eof && t->d[1 - side].done) ev = GONE;
    watch(t, side, ev);
  }
}

/* Moves what can move both ways, then ends the tunnel or waits for what comes next. The one way
 * a tunnel makes progress, at its opening as on every event: both directions may finish within
 * one call (an upstream that answers and closes at once), and a tunnel left with both sides out
 * of the epoll set would never end. */
static void progress(struct tunnel *t) {
  if (pump(t, 0) < 0 || pump(t, 1) < 0) return finish(t, "reset");
  if (t->d[0].done && t->d[1].done) return finish(t, "closed");
  rewatch(t);
}

static void on_open(struct tunnel *t) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(t->fd[1], SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
  if (err) return fail(t, err);
  /* Connected: the client's answer goes first, and what it sent early, each as its socket takes
   * it (pump), then the bytes flow. */
  t->state = OPEN;
  t->deadline = 0;
  t->last = now_ms();
  char line[64];
  snprintf(line, sizeof line, "{\"ropen\":%lld}\n", t->id);
  say(line);
  progress(t);
}

static void on_event(struct end *e, unsigned events) {
  struct tunnel *t = e->t;
  if (t->dead) return;
  if (t->state == CONNECTING) {
    if (e->side == 1) on_open(t);
    return;
  }
  if (events & EPOLLERR) {
    /* An error on a side we were not reading or writing (a reset while it waited). */
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(t->fd[e->side], SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) return finish(t, "reset");
  }
  /* Whatever woke us, both directions may have moved (errors show as failed splices). */
  progress(t);
}

/* A handover's field, or the tunnel fails with EINVAL: the worker then refuses the client. */
static int hex_field(const char *line, const char *key, struct dir *d) {
  char *hex = NULL;
  size_t hexlen = 0;
  int r = ipc_string(line, key, &hex, &hexlen);
  if (r == 0) return 0;
  d->mem = r == 1 ? unhex(hex, hexlen, &d->mem_len) : NULL;
  free(hex);
  return d->mem ? 0 : -1;
}

static void start(const char *line, int client) {
  struct tunnel *t = xcalloc(1, sizeof *t);
  long long id, idle = 0, conn = 0, port = 0;
  if (ipc_number(line, "rid", 1, LLONG_MAX, &id) != 1) die("relay: a handover without its id: %.200s", line);
  t->id = id;
  t->fd[0] = client;
  t->fd[1] = -1;
  for (int k = 0; k < 2; k++) t->d[k].pipe[0] = t->d[k].pipe[1] = -1;
  t->ends[0] = (struct end){t, 0};
  t->ends[1] = (struct end){t, 1};
  /* Every field is the worker's to give (its limits are the proxies', docs/mechanism.md): none
   * has a default of its own here. */
  int bad = ipc_number(line, "ridle", 0, LLONG_MAX / 2, &idle) != 1 || ipc_number(line, "rconn", 1, LLONG_MAX / 2, &conn) != 1 ||
            ipc_number(line, "rport", 1, 65535, &port) != 1 || hex_field(line, "rreply", &t->d[1]) < 0 ||
            hex_field(line, "rhead", &t->d[0]) < 0;
  t->idle_ms = idle;
  t->deadline = now_ms() + conn;
  t->next = tunnels;
  if (tunnels) tunnels->prev = t;
  tunnels = t;

  char *to = NULL;
  size_t tolen;
  if (bad || ipc_string(line, "rto", &to, &tolen) != 1) {
    free(to);
    return fail(t, EINVAL);
  }
  struct sockaddr_storage sa;
  memset(&sa, 0, sizeof sa);
  socklen_t salen;
  int family;
  if (strchr(to, ':')) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&sa;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, to, &a->sin6_addr) != 1) family = -1;
    else family = AF_INET6;
    salen = sizeof *a;
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)&sa;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, to, &a->sin_addr) != 1) family = -1;
    else family = AF_INET;
    salen = sizeof *a;
  }
  free(to);
  if (family < 0) return fail(t, EINVAL);
  int s = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s < 0) return fail(t, errno);
  int one = 1;
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  t->fd[1] = s;
  if (connect(s, (struct sockaddr *)&sa, salen) < 0 && errno != EINPROGRESS) return fail(t, errno);
  watch(t, 1, EPOLLOUT);
}

static void kill_one(long long id) {
  for (struct tunnel *t = tunnels; t; t = t->next) {
    if (t->id != id) continue;
    if (t->state == CONNECTING) fail(t, ECONNABORTED);
    else finish(t, "run-end");
    return;
  }
}

/* Connect deadlines and idle tunnels, once a second. */
static void sweep(void) {
  long long now = now_ms();
  for (struct tunnel *t = tunnels, *next; t; t = next) {
    next = t->next;
    if (t->state == CONNECTING && now >= t->deadline) fail(t, ETIMEDOUT);
    else if (t->state == OPEN && t->idle_ms > 0 && now - t->last >= t->idle_ms) finish(t, "idle");
  }
}

/* ---- reading the channel ------------------------------------------------------------------ */

static char inbuf[1 << 18];
static size_t inlen;

static void on_line(char *line) {
  if (ipc_is_cmd(line, "NODE_HANDLE")) {
    say("{\"cmd\":\"NODE_HANDLE_ACK\"}\n");
    if (fdq_len == 0) die("relay: a handle message without its descriptor");
    int fd = fdq[0];
    memmove(fdq, fdq + 1, (size_t)--fdq_len * sizeof fdq[0]);
    start(line, fd);
  } else if (ipc_answer_bookkeeping(channel, line)) {
    /* Node's count of a server's sockets sent here: we keep none (the worker keeps its own). */
  } else {
    long long id;
    if (ipc_number(line, "rend", 1, LLONG_MAX, &id) == 1) kill_one(id);
  }
}

static void on_channel(void) {
  char control[CMSG_SPACE(sizeof(int) * 16)];
  struct iovec iov = {.iov_base = inbuf + inlen, .iov_len = sizeof inbuf - 1 - inlen};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
  ssize_t n = recvmsg(channel, &msg, MSG_CMSG_CLOEXEC);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) _exit(0); /* the worker closed the channel: every tunnel ends with us */
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    int count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    for (int i = 0; i < count; i++) {
      int fd;
      memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      if (fdq_len < MAX_FDS_QUEUED) fdq[fdq_len++] = fd;
      else close(fd);
    }
  }
  inlen += (size_t)n;
  inbuf[inlen] = 0;
  char *start_of = inbuf, *nl;
  while ((nl = memchr(start_of, '\n', inlen - (size_t)(start_of - inbuf)))) {
    *nl = 0;
    on_line(start_of);
    start_of = nl + 1;
  }
  inlen -= (size_t)(start_of - inbuf);
  memmove(inbuf, start_of, inlen);
  if (inlen >= sizeof inbuf - 1) die("relay: a message longer than %zu bytes", sizeof inbuf);
}

int relay_main(void) {
  channel = ipc_take_channel();
  if (channel < 0) die("relay: no IPC channel (NODE_CHANNEL_FD)");
  /* Blocking writes on the channel; reads only when epoll says there is something. */
  fcntl(channel, F_SETFL, fcntl(channel, F_GETFL) & ~O_NONBLOCK);
  prctl(PR_SET_NAME, "sandbox-relay", 0, 0, 0);
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) die_errno("prctl(PR_SET_PDEATHSIG)");
  signal(SIGPIPE, SIG_IGN);
  /* Two sockets per tunnel: as many descriptors as we may have. */
  struct rlimit lim;
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die_errno("relay: epoll_create1");
  static struct end channel_end = {NULL, -1};
  struct epoll_event cev = {.events = EPOLLIN, .data.ptr = &channel_end};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, channel, &cev) < 0) die_errno("relay: watch the channel");
  say("{\"relayReady\":true}\n");
  long long next_sweep = now_ms() + 1000;
  struct epoll_event events[MAX_EVENTS];
  for (;;) {
    int timeout = (int)(next_sweep - now_ms());
    int n = epoll_wait(ep, events, MAX_EVENTS, timeout < 0 ? 0 : timeout);
    if (n < 0 && errno != EINTR) die_errno("relay: epoll_wait");
    for (int i = 0; i < n; i++) {
      struct end *e = events[i].data.ptr;
      if (e == &channel_end) on_channel();
      else on_event(e, events[i].events);
    }
    if (now_ms() >= next_sweep) {
      sweep();
      next_sweep = now_ms() + 1000;
    }
    bury();
  }
}
