#define _GNU_SOURCE
#include "ipc.h"
#include "util.h"
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int ipc_peek_channel(void) {
  const char *v = getenv("NODE_CHANNEL_FD");
  return v && *v ? (int)parse_number(v, 0, 1 << 20, "NODE_CHANNEL_FD") : -1;
}

int ipc_take_channel(void) {
  int fd = ipc_peek_channel();
  if (fd < 0) return -1;
  unsetenv("NODE_CHANNEL_FD");
  unsetenv("NODE_CHANNEL_SERIALIZATION_MODE");
  return fd;
}

/* One JSON line per sendmsg: Node's IPC reader delivers at most one handle per read, and the
 * kernel never merges a message carrying SCM_RIGHTS with its neighbours. */
void ipc_send(int channel, const char *line, int fd) {
  if (channel < 0) return;
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
  if (n < 0 && fd >= 0) die_errno("hand a listening socket to the worker");
}

/* Closing a Unix socket with unread data makes the kernel reset the peer, and Node then drops
 * what it had not read yet: the exit status. The only data Node sends us is one ACK line for each
 * descriptor we handed it, so we read exactly those before the last line, and then may leave at
 * once: nothing unread remains. Bounded, in case an ACK never comes (then we wait for the worker
 * to close its side, as the only other safe way out). */
void ipc_send_last(int channel, const char *line, int acks_due) {
  if (channel < 0) return;
  char buf[4096];
  struct pollfd p = {.fd = channel, .events = POLLIN};
  while (acks_due > 0 && poll(&p, 1, 5000) > 0) {
    ssize_t n = read(channel, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return; /* the worker is gone: nobody to tell */
    for (ssize_t k = 0; k < n; k++) acks_due -= buf[k] == '\n';
  }
  ipc_send(channel, line, -1);
  if (acks_due <= 0) return;
  shutdown(channel, SHUT_WR);
  while (poll(&p, 1, 5000) > 0) {
    ssize_t n = read(channel, buf, sizeof buf);
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) break;
  }
}
