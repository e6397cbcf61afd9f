#define _GNU_SOURCE
#include "capture.h"
#include "listen.h"
#include "netlink.h"
#include "util.h"
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>


/* Phase: every address local to loopback (`ip route add local 0.0.0.0/0 dev lo table local`),
 * so a connection to any address reaches the namespace's own input path, where the TPROXY rule
 * below takes a TCP one. (A source address must be local in the local table, so the route
 * cannot be limited to TCP by a rule of its own; the output rule below refuses the rest.) */
static int add_local_route(int family) {
  struct nlbuf b = {.len = 0};
  struct rtmsg rt = {
    .rtm_family = (unsigned char)family, .rtm_dst_len = 0, .rtm_table = RT_TABLE_LOCAL,
    .rtm_protocol = RTPROT_BOOT, .rtm_scope = RT_SCOPE_HOST, .rtm_type = RTN_LOCAL,
  };
  size_t m = nl_begin(&b, RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, &rt, sizeof rt);
  uint32_t lo = if_nametoindex("lo");
  if (!lo) die_errno("find loopback");
  nl_put(&b, RTA_OIF, &lo, sizeof lo);
  nl_end(&b, m);
  return nl_talk(NETLINK_ROUTE, &b, "route every address to loopback");
}

static void expr_data(struct nlbuf *b, uint16_t type, const void *value, size_t len) {
  size_t d = nl_nest(b, type);
  nl_put(b, NFTA_DATA_VALUE, value, len);
  nl_nest_end(b, d);
}

static size_t expr_begin(struct nlbuf *b, const char *name, size_t *data) {
  size_t elem = nl_nest(b, NFTA_LIST_ELEM);
  nl_put_str(b, NFTA_EXPR_NAME, name);
  *data = nl_nest(b, NFTA_EXPR_DATA);
  return elem;
}

static void expr_end(struct nlbuf *b, size_t elem, size_t data) {
  nl_nest_end(b, data);
  nl_nest_end(b, elem);
}

static size_t nft_begin(struct nlbuf *b, uint16_t type, uint16_t flags, int family) {
  struct nfgenmsg g = {.nfgen_family = (uint8_t)family, .version = NFNETLINK_V0, .res_id = 0};
  return nl_begin(b, (uint16_t)((NFNL_SUBSYS_NFTABLES << 8) | type), (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags), &g, sizeof g);
}

static void batch_mark(struct nlbuf *b, uint16_t type) {
  struct nfgenmsg g = {.nfgen_family = AF_UNSPEC, .version = NFNETLINK_V0, .res_id = htons(NFNL_SUBSYS_NFTABLES)};
  nl_end(b, nl_begin(b, type, NLM_F_REQUEST, &g, sizeof g));
}

static void add_chain(struct nlbuf *b, int family, const char *table, const char *chain, uint32_t hook, int32_t priority) {
  size_t m = nft_begin(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE, family);
  nl_put_str(b, NFTA_CHAIN_TABLE, table);
  nl_put_str(b, NFTA_CHAIN_NAME, chain);
  size_t h = nl_nest(b, NFTA_CHAIN_HOOK);
  nl_put_u32be(b, NFTA_HOOK_HOOKNUM, hook);
  nl_put_u32be(b, NFTA_HOOK_PRIORITY, (uint32_t)priority);
  nl_nest_end(b, h);
  nl_put_str(b, NFTA_CHAIN_TYPE, "filter");
  nl_end(b, m);
}

/* `ip daddr != 127.0.0.0/8` (v4: the first byte of the destination) or `ip6 daddr != ::1`. */
static void match_not_loopback(struct nlbuf *b, int v6) {
  struct in6_addr loop6 = IN6ADDR_LOOPBACK_INIT;
  uint8_t first127 = 127;
  size_t d, e = expr_begin(b, "payload", &d);
  nl_put_u32be(b, NFTA_PAYLOAD_DREG, NFT_REG_1);
  nl_put_u32be(b, NFTA_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
  nl_put_u32be(b, NFTA_PAYLOAD_OFFSET, v6 ? 24 : 16);
  nl_put_u32be(b, NFTA_PAYLOAD_LEN, v6 ? 16 : 1);
  expr_end(b, e, d);
  e = expr_begin(b, "cmp", &d);
  nl_put_u32be(b, NFTA_CMP_SREG, NFT_REG_1);
  nl_put_u32be(b, NFTA_CMP_OP, NFT_CMP_NEQ);
  if (v6) expr_data(b, NFTA_CMP_DATA, &loop6, sizeof loop6);
  else expr_data(b, NFTA_CMP_DATA, &first127, 1);
  expr_end(b, e, d);
}

/* `meta l4proto tcp` (op NFT_CMP_EQ) or `meta l4proto != tcp` (NFT_CMP_NEQ). */
static void match_tcp(struct nlbuf *b, uint32_t op) {
  uint8_t tcp = IPPROTO_TCP;
  size_t d, e = expr_begin(b, "meta", &d);
  nl_put_u32be(b, NFTA_META_KEY, NFT_META_L4PROTO);
  nl_put_u32be(b, NFTA_META_DREG, NFT_REG_1);
  expr_end(b, e, d);
  e = expr_begin(b, "cmp", &d);
  nl_put_u32be(b, NFTA_CMP_SREG, NFT_REG_1);
  nl_put_u32be(b, NFTA_CMP_OP, op);
  expr_data(b, NFTA_CMP_DATA, &tcp, 1);
  expr_end(b, e, d);
}

static size_t rule_begin(struct nlbuf *b, int family, const char *table, const char *chain, size_t *list) {
  size_t m = nft_begin(b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, family);
  nl_put_str(b, NFTA_RULE_TABLE, table);
  nl_put_str(b, NFTA_RULE_CHAIN, chain);
  *list = nl_nest(b, NFTA_RULE_EXPRESSIONS);
  return m;
}

static void rule_end(struct nlbuf *b, size_t m, size_t list) {
  nl_nest_end(b, list);
  nl_end(b, m);
}

/* Phase: the rules, one table per family, as nft would write them:
 *   table ip temporal_sandbox {
 *     chain capture { type filter hook prerouting priority mangle;
 *       ip daddr != 127.0.0.0/8 meta l4proto tcp tproxy to 127.0.0.1:CAPTURE_PORT }
 *     chain refuse { type filter hook output priority filter;
 *       ip daddr != 127.0.0.0/8 meta l4proto != tcp drop } }
 * (ip6: ip6 daddr != ::1, tproxy to [::1]:CAPTURE_PORT). A packet dropped on output fails its
 * sendmsg at once (EPERM): UDP but to the stub DNS, and ICMP, are refused as in a blocked run. */
static int add_rules(int family) {
  int v6 = family == NFPROTO_IPV6;
  const char *table = "temporal_sandbox";
  struct nlbuf b = {.len = 0};
  batch_mark(&b, NFNL_MSG_BATCH_BEGIN);
  size_t m = nft_begin(&b, NFT_MSG_NEWTABLE, NLM_F_CREATE, family);
  nl_put_str(&b, NFTA_TABLE_NAME, table);
  nl_end(&b, m);
  add_chain(&b, family, table, "capture", NF_INET_PRE_ROUTING, -150);
  add_chain(&b, family, table, "refuse", NF_INET_LOCAL_OUT, 0);

  size_t list, e, d;
  m = rule_begin(&b, family, table, "capture", &list);
  match_not_loopback(&b, v6);
  match_tcp(&b, NFT_CMP_EQ);
  struct in6_addr loop6 = IN6ADDR_LOOPBACK_INIT;
  struct in_addr loop4 = {.s_addr = htonl(INADDR_LOOPBACK)};
  uint16_t port = htons(CAPTURE_PORT);
  e = expr_begin(&b, "immediate", &d);
  nl_put_u32be(&b, NFTA_IMMEDIATE_DREG, NFT_REG_1);
  if (v6) expr_data(&b, NFTA_IMMEDIATE_DATA, &loop6, sizeof loop6);
  else expr_data(&b, NFTA_IMMEDIATE_DATA, &loop4, sizeof loop4);
  expr_end(&b, e, d);
  e = expr_begin(&b, "immediate", &d);
  nl_put_u32be(&b, NFTA_IMMEDIATE_DREG, NFT_REG_2);
  expr_data(&b, NFTA_IMMEDIATE_DATA, &port, sizeof port);
  expr_end(&b, e, d);
  e = expr_begin(&b, "tproxy", &d);
  nl_put_u32be(&b, NFTA_TPROXY_FAMILY, (uint32_t)family);
  nl_put_u32be(&b, NFTA_TPROXY_REG_ADDR, NFT_REG_1);
  nl_put_u32be(&b, NFTA_TPROXY_REG_PORT, NFT_REG_2);
  expr_end(&b, e, d);
  rule_end(&b, m, list);

  m = rule_begin(&b, family, table, "refuse", &list);
  match_not_loopback(&b, v6);
  match_tcp(&b, NFT_CMP_NEQ);
  e = expr_begin(&b, "immediate", &d);
  nl_put_u32be(&b, NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
  size_t data = nl_nest(&b, NFTA_IMMEDIATE_DATA);
  size_t verdict = nl_nest(&b, NFTA_DATA_VERDICT);
  nl_put_u32be(&b, NFTA_VERDICT_CODE, NF_DROP);
  nl_nest_end(&b, verdict);
  nl_nest_end(&b, data);
  expr_end(&b, e, d);
  rule_end(&b, m, list);

  batch_mark(&b, NFNL_MSG_BATCH_END);
  return nl_talk(NETLINK_NETFILTER, &b, "install the capture rules");
}

int capture_setup(int channel) {
  if (channel < 0) die("transparent capture needs the IPC channel");
  int err = add_local_route(AF_INET);
  if (err) { errno = err; die_errno("route every IPv4 address to loopback"); }
  err = add_rules(NFPROTO_IPV4);
  if (err) { errno = err; die_errno("install the IPv4 capture rule (nftables TPROXY)"); }
  /* IPv6 may be off in this kernel or namespace: then an IPv6 connection has no route at all,
   * which refuses it as surely, and the worker is told. */
  int v6 = add_local_route(AF_INET6) == 0;
  if (v6) {
    err = add_rules(NFPROTO_IPV6);
    if (err) { errno = err; die_errno("install the IPv6 capture rule (nftables TPROXY)"); }
  }
  int handed = 0;
  hand_listener(channel, "capture4", "net.Native", listen_inside(AF_INET, SOCK_STREAM, CAPTURE_PORT, 1)), handed++;
  if (v6) hand_listener(channel, "capture6", "net.Native", listen_inside(AF_INET6, SOCK_STREAM, CAPTURE_PORT, 1)), handed++;
  hand_listener(channel, "dns-udp", "dgram.Native", listen_inside(AF_INET, SOCK_DGRAM, DNS_PORT, 0)), handed++;
  hand_listener(channel, "dns-tcp", "net.Native", listen_inside(AF_INET, SOCK_STREAM, DNS_PORT, 0)), handed++;
  return handed;
}

void net_lo_up(void) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) die_errno("socket for loopback");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) die_errno("read loopback flags");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) die_errno("bring loopback up");
  close(s);
}

static void write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) die_errno("write %s", path);
  close(fd);
}

void net_own_namespace(void) {
  unsigned uid = (unsigned)getuid(), gid = (unsigned)getgid();
  /* A root launcher that just became the run's uid is not dumpable, which makes /proc/self root's
   * and its maps unwritable to us. We are wholly that uid now, and exec resets this anyway. */
  if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0) die_errno("prctl(PR_SET_DUMPABLE)");
  if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0) die_errno("create the run's network namespace");
  char map[64];
  /* Mapping our own ids from inside the new namespace needs setgroups denied, for root as well. */
  write_file("/proc/self/setgroups", "deny");
  snprintf(map, sizeof map, "%u %u 1\n", uid, uid);
  write_file("/proc/self/uid_map", map);
  snprintf(map, sizeof map, "%u %u 1\n", gid, gid);
  write_file("/proc/self/gid_map", map);
  net_lo_up();
}
