#define _GNU_SOURCE
#include "ipc.h"
#include "util.h"
#include <errno.h>
#include <poll.h>
#include <stdio.h>
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

/* ---- reading a line ------------------------------------------------------------------------ */

/* Past a JSON string that starts at p (at its quote): the character after the closing quote, or
 * NULL when it does not close. Escapes are skipped whole. */
static const char *skip_string(const char *p) {
  for (p++; *p; p++) {
    if (*p == '\\') {
      if (!*++p) return NULL;
    } else if (*p == '"') {
      return p + 1;
    }
  }
  return NULL;
}

/* The value of the first key named `key`, at any depth: the first character after its colon. */
static const char *value_of(const char *line, const char *key) {
  size_t klen = strlen(key);
  for (const char *p = line; *p;) {
    if (*p != '"') { p++; continue; }
    const char *end = skip_string(p);
    if (!end) return NULL;
    const char *after = end;
    while (*after == ' ') after++;
    if (*after == ':') {
      if ((size_t)(end - p - 2) == klen && memcmp(p + 1, key, klen) == 0) {
        after++;
        while (*after == ' ') after++;
        return after;
      }
      p = after + 1; /* a key of another name: on to its value */
    } else {
      p = end; /* a string value: its content is never a key */
    }
  }
  return NULL;
}

int ipc_number(const char *line, const char *key, long long min, long long max, long long *out) {
  const char *v = value_of(line, key);
  if (!v) return 0;
  if (!(*v == '-' || (*v >= '0' && *v <= '9'))) return -1;
  char *end;
  errno = 0;
  long long n = strtoll(v, &end, 10);
  if (errno || end == v || (*end != ',' && *end != '}' && *end != ' ') || n < min || n > max) return -1;
  *out = n;
  return 1;
}

int ipc_string(const char *line, const char *key, char **out, size_t *len) {
  const char *v = value_of(line, key);
  if (!v) return 0;
  if (*v != '"') return -1;
  const char *close = strchr(v + 1, '"');
  if (!close || memchr(v + 1, '\\', (size_t)(close - v - 1))) return -1;
  *len = (size_t)(close - v - 1);
  *out = xcalloc(*len + 1, 1);
  memcpy(*out, v + 1, *len);
  return 1;
}

int ipc_is_cmd(const char *line, const char *cmd) {
  /* Compared in place: every message of the relay asks this, a copy each time is waste. */
  const char *v = value_of(line, "cmd");
  size_t len = strlen(cmd);
  return v && v[0] == '"' && strncmp(v + 1, cmd, len) == 0 && v[1 + len] == '"';
}

int ipc_answer_bookkeeping(int channel, const char *line) {
  int notify = ipc_is_cmd(line, "NODE_SOCKET_NOTIFY_CLOSE");
  if (!notify && !ipc_is_cmd(line, "NODE_SOCKET_GET_COUNT")) return 0;
  char *key = NULL, keyjson[300], reply[400];
  size_t len;
  keyjson[0] = 0;
  if (ipc_string(line, "key", &key, &len) == 1) json_string(keyjson, sizeof keyjson, key);
  else json_string(keyjson, sizeof keyjson, "");
  free(key);
  if (notify) snprintf(reply, sizeof reply, "{\"cmd\":\"NODE_SOCKET_ALL_CLOSED\",\"key\":%s}\n", keyjson);
  else snprintf(reply, sizeof reply, "{\"cmd\":\"NODE_SOCKET_COUNT\",\"key\":%s,\"count\":0}\n", keyjson);
  ipc_send(channel, reply, -1);
  return 1;
}
