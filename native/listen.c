#define _GNU_SOURCE
#include "listen.h"
#include "ipc.h"
#include "util.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef IP_TRANSPARENT
#define IP_TRANSPARENT 19
#endif
#ifndef IPV6_TRANSPARENT
#define IPV6_TRANSPARENT 75
#endif

int listen_inside(int family, int type, int port, int transparent) {
  int s = socket(family, type | SOCK_CLOEXEC, 0);
  if (s < 0) die_errno("socket");
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (transparent && family == AF_INET && setsockopt(s, SOL_IP, IP_TRANSPARENT, &one, sizeof one) < 0) die_errno("make the capture socket transparent");
  if (transparent && family == AF_INET6 && setsockopt(s, SOL_IPV6, IPV6_TRANSPARENT, &one, sizeof one) < 0) die_errno("make the IPv6 capture socket transparent");
  int r;
  if (family == AF_INET6) {
    setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port), .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    r = bind(s, (struct sockaddr *)&a, sizeof a);
  } else {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr = {htonl(INADDR_LOOPBACK)}};
    r = bind(s, (struct sockaddr *)&a, sizeof a);
  }
  if (r < 0) die_errno("bind port %d inside the namespace", port);
  if (type == SOCK_STREAM && listen(s, SOMAXCONN) < 0) die_errno("listen");
  return s;
}

void hand_listener(int channel, const char *name, const char *type, int fd) {
  if (channel < 0) die("no IPC channel to hand the listener '%s' to", name);
  char line[160];
  snprintf(line, sizeof line, "{\"cmd\":\"NODE_HANDLE\",\"type\":\"%s\",\"msg\":{\"sandboxListen\":\"%s\"}}\n", type, name);
  ipc_send(channel, line, fd);
  close(fd);
}
