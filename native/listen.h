/* The listening sockets a run's namespace gets (the proxies', capture's, the stub DNS's): made
 * inside, on loopback, and handed to the worker, which then holds the only copy. */
#ifndef SANDBOX_LISTEN_H
#define SANDBOX_LISTEN_H

/* A socket bound to 127.0.0.1:port (AF_INET) or [::1]:port (AF_INET6), listening when a
 * stream; `transparent`: it takes connections for any address (TPROXY). Dies on failure. */
int listen_inside(int family, int type, int port, int transparent);

/* Hands `fd` to the worker as the listener named `name` (a Node handle of `type`), and closes
 * our copy: the command cannot accept on it. */
void hand_listener(int channel, const char *name, const char *type, int fd);

#endif
