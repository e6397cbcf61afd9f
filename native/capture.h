/* Transparent capture (docs/mechanism.md, "Transparent capture"): inside the run's own network
 * namespace, every address is made local to loopback, and one nftables TPROXY rule per family
 * gives every TCP connection not meant for loopback to one listening socket. An accepted
 * connection keeps its original destination as its local address, so the worker reads it with
 * getsockname and decides. A stub DNS (UDP and TCP) listens on 127.0.0.1:53. */
#ifndef SANDBOX_CAPTURE_H
#define SANDBOX_CAPTURE_H

/* The port the capture listeners take on 127.0.0.1 and ::1 inside the namespace. */
#define CAPTURE_PORT 3129
#define DNS_PORT 53

/* Needs CAP_NET_ADMIN and CAP_NET_BIND_SERVICE over the namespace. Sets up routes, rules and
 * the four sockets (capture v4 and v6, DNS UDP and TCP) and hands them to the worker over
 * `channel`. Returns how many descriptors it handed over. */
int capture_setup(int channel);

/* Brings loopback up (needs CAP_NET_ADMIN over the namespace). */
void net_lo_up(void);

/* For bubblewrap, whose own user namespace keeps the command's away from the network's owner:
 * a user namespace (our own ids mapped to themselves) and a network namespace of its own, made
 * here before bwrap starts, so that we hold the capabilities over it that the set-up needs and
 * the command (in bwrap's namespace, a child of this one) never does. */
void net_own_namespace(void);

#endif
