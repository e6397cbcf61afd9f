/* sandbox-init relay: established tunnels moved in the kernel (relay.c). */
#ifndef SANDBOX_RELAY_H
#define SANDBOX_RELAY_H

/* Serves the worker on NODE_CHANNEL_FD until it goes away. Never returns. */
__attribute__((noreturn)) int relay_main(void);

#endif
