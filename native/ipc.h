/* The worker's side of every sandbox-init process is a Node.js child_process IPC channel
 * ($NODE_CHANNEL_FD). This file is the one place that knows Node's private wire dialect for it
 * (docs/mechanism.md, "What we rely on in Node"); relay.c and listen.c speak through it.
 *
 * The dialect (Node's "json" serialization, lib/internal/child_process.js):
 *   - one JSON object per line, "\n"-terminated;
 *   - a line may carry one descriptor (SCM_RIGHTS) when it is a handle message:
 *       {"cmd":"NODE_HANDLE","type":"net.Socket"|"net.Server"|"dgram.Socket","msg":{...}}
 *     whose receiver answers {"cmd":"NODE_HANDLE_ACK"} once it has taken the descriptor;
 *   - a net.Socket accepted by a server and sent to a child is counted by the sender's server,
 *     which may ask {"cmd":"NODE_SOCKET_GET_COUNT","key":K} or announce
 *     {"cmd":"NODE_SOCKET_NOTIFY_CLOSE","key":K}; the child answers NODE_SOCKET_COUNT or
 *     NODE_SOCKET_ALL_CLOSED with the same key (ipc_answer_bookkeeping);
 *   - anything else is the application's own message, delivered to child.on('message').
 * Messages of our own (sandboxReady, sandboxListen, sandboxExit from sandbox-init; rid, rend,
 * ropen, rfail, rdone with the relay) hold numbers and strings without escapes.
 *
 * If Node changes the dialect, sandbox-init's listeners and the relay's handovers stop arriving:
 * every run test fails at once, on the Node that changed it (CI runs three majors).
 * See docs/mechanism.md, "The helper and the worker". */
#ifndef SANDBOX_IPC_H
#define SANDBOX_IPC_H
#include <stddef.h>

/* The channel's fd, left in the environment for a program exec'd later; -1 when there is none. */
int ipc_peek_channel(void);
/* The channel's fd, taken out of the environment; -1 when there is none. */
int ipc_take_channel(void);
/* Sends one line; with fd >= 0 the descriptor travels with it. Dies if a descriptor cannot. */
void ipc_send(int channel, const char *line, int fd);
/* Sends the last line so that the worker surely reads it (see ipc.c); `acks_due`: descriptors
 * handed to the worker, each answered by one ACK line. */
void ipc_send_last(int channel, const char *line, int acks_due);

/* Reading a line. A key is found as a key (never inside a string value), at any depth.
 * 1: found and well-formed; 0: absent; -1: present but not of the asked shape. */
int ipc_number(const char *line, const char *key, long long min, long long max, long long *out);
/* A string value without escapes, copied freshly (*out, its length in *len). */
int ipc_string(const char *line, const char *key, char **out, size_t *len);
/* Whether the line is Node's message of this "cmd". */
int ipc_is_cmd(const char *line, const char *cmd);
/* Answers Node's socket bookkeeping (the NODE_SOCKET_* messages above) for a process that keeps
 * none of a server's sockets: the count is 0 and all are closed. 1 when the line was one. */
int ipc_answer_bookkeeping(int channel, const char *line);

#endif
