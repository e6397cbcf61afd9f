/* PID 1's work once the command runs: forward termination signals to the whole run, reap
 * orphans, watch the process limit, and end everything when the command ends. */
#ifndef SANDBOX_SUPERVISE_H
#define SANDBOX_SUPERVISE_H
#include <sys/types.h>

struct outcome {
  int status;           /* the command's wait status */
  const char *limit;    /* the limit that ended the run, or NULL */
};

/* Installs the signal forwarding for `child` (call before fork; the child resets it). */
void supervise_prepare(int is_init);
void supervise_set_child(pid_t child);
/* Waits for the command. With `max_tasks` > 0 it ends the run when the run's tasks (threads
 * included, as RLIMIT_NPROC counts them) stay at that count: the kernel does not apply
 * RLIMIT_NPROC to a host uid 0, and a run pinned at its limit is a fork bomb, not a build.
 * `counted_outside`: tasks the kernel counts against the same limit that this PID namespace does
 * not show (under unshare, unshare's own process shares the user namespace and uid). */
struct outcome supervise(long long max_tasks, int counted_outside);
/* Kills and reaps everything left of the run, so it is gone when the worker hears the status. */
void supervise_end_all(void);

#endif
