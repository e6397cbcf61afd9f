/* A tiny netlink message builder (rtnetlink routes, nftables batches) for the capture set-up
 * (capture.c). Messages are built in one fixed buffer; overflowing it is a die(). */
#ifndef SANDBOX_NETLINK_H
#define SANDBOX_NETLINK_H
#include <stddef.h>
#include <stdint.h>

struct nlbuf {
  char data[8192];
  size_t len;
  uint32_t seq;     /* the last sequence number used */
  int acks;         /* messages that asked for an ACK */
};

/* Starts a message: header, then `fixed` bytes of family header copied from `head`. Returns its offset. */
size_t nl_begin(struct nlbuf *b, uint16_t type, uint16_t flags, const void *head, size_t fixed);
void nl_end(struct nlbuf *b, size_t msg);
void nl_put(struct nlbuf *b, uint16_t type, const void *value, size_t len);
void nl_put_u32be(struct nlbuf *b, uint16_t type, uint32_t value);
void nl_put_str(struct nlbuf *b, uint16_t type, const char *s);
size_t nl_nest(struct nlbuf *b, uint16_t type);
void nl_nest_end(struct nlbuf *b, size_t nest);

/* Sends the buffer on a fresh socket of `protocol` and reads every ACK. Returns 0, or the errno
 * of the first message the kernel refused (a failure to talk at all is a die() naming `what`). */
int nl_talk(int protocol, struct nlbuf *b, const char *what);

#endif
