/* The worker's side of the run is a Node.js child_process IPC channel ($NODE_CHANNEL_FD): one
 * JSON object per line, optionally carrying one file descriptor (the wire format of
 * child.send(message, handle)). See docs/mechanism.md, "The helper and the worker". */
#ifndef SANDBOX_IPC_H
#define SANDBOX_IPC_H

/* The channel's fd, left in the environment for a program exec'd later; -1 when there is none. */
int ipc_peek_channel(void);
/* The channel's fd, taken out of the environment; -1 when there is none. */
int ipc_take_channel(void);
/* Sends one line; with fd >= 0 the descriptor travels with it. Dies if a descriptor cannot. */
void ipc_send(int channel, const char *line, int fd);
/* Sends the last line so that the worker surely reads it (see ipc.c); `acks_due`: descriptors
 * handed to the worker, each answered by one ACK line. */
void ipc_send_last(int channel, const char *line, int acks_due);

#endif
