#define _GNU_SOURCE
#include "netlink.h"
#include "util.h"
#include <errno.h>
#include <linux/netlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ALIGN4(n) (((n) + 3u) & ~3u)

static void *reserve(struct nlbuf *b, size_t n) {
  size_t padded = ALIGN4(n);
  if (b->len + padded > sizeof b->data) die("netlink message too long");
  void *p = b->data + b->len;
  memset(p, 0, padded);
  b->len += padded;
  return p;
}

size_t nl_begin(struct nlbuf *b, uint16_t type, uint16_t flags, const void *head, size_t fixed) {
  size_t at = b->len;
  struct nlmsghdr *h = reserve(b, NLMSG_HDRLEN);
  h->nlmsg_type = type;
  h->nlmsg_flags = flags;
  h->nlmsg_seq = ++b->seq;
  if (flags & NLM_F_ACK) b->acks++;
  if (fixed) memcpy(reserve(b, fixed), head, fixed);
  return at;
}

void nl_end(struct nlbuf *b, size_t msg) {
  ((struct nlmsghdr *)(b->data + msg))->nlmsg_len = (uint32_t)(b->len - msg);
}

void nl_put(struct nlbuf *b, uint16_t type, const void *value, size_t len) {
  struct nlattr *a = reserve(b, NLA_HDRLEN);
  a->nla_type = type;
  a->nla_len = (uint16_t)(NLA_HDRLEN + len);
  if (len) memcpy(reserve(b, len), value, len);
}

void nl_put_u32be(struct nlbuf *b, uint16_t type, uint32_t value) {
  uint32_t be = __builtin_bswap32(value);
  nl_put(b, type, &be, sizeof be);
}

void nl_put_str(struct nlbuf *b, uint16_t type, const char *s) {
  nl_put(b, type, s, strlen(s) + 1);
}

size_t nl_nest(struct nlbuf *b, uint16_t type) {
  size_t at = b->len;
  struct nlattr *a = reserve(b, NLA_HDRLEN);
  a->nla_type = type | NLA_F_NESTED;
  return at;
}

void nl_nest_end(struct nlbuf *b, size_t nest) {
  ((struct nlattr *)(b->data + nest))->nla_len = (uint16_t)(b->len - nest);
}

int nl_talk(int protocol, struct nlbuf *b, const char *what) {
  int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
  if (s < 0) die_errno("%s: netlink socket", what);
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(s, b->data, b->len, 0, (struct sockaddr *)&kernel, sizeof kernel) != (ssize_t)b->len) die_errno("%s: send", what);
  char reply[8192];
  while (b->acks > 0) {
    ssize_t n = recv(s, reply, sizeof reply, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) die_errno("%s: no answer from the kernel", what);
    int len = (int)n;
    for (struct nlmsghdr *h = (struct nlmsghdr *)reply; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type != NLMSG_ERROR) continue;
      const struct nlmsgerr *e = NLMSG_DATA(h);
      if (e->error != 0) {
        close(s);
        return -e->error;
      }
      b->acks--;
    }
  }
  close(s);
  return 0;
}
