/* The seccomp filter installed in the command's process just before exec (docs/security-model.md,
 * "Kernel backstops"). A hand-written BPF program: no library to build or ship. What it allows is
 * the table native/syscalls.h, read for this machine's architecture; every other number gets
 * ENOSYS. */
#ifndef SANDBOX_SECCOMP_H
#define SANDBOX_SECCOMP_H
#include <linux/filter.h>

/* A row's action (syscalls.h names them without the ACT_ prefix and says what each does). */
enum seccomp_action {
  ACT_ALLOW, ACT_EPERM, ACT_ENOSYS,
  ACT_MODE_ARG1, ACT_MODE_ARG2, ACT_MODE_ARG3,
  ACT_CLONE_FLAGS, ACT_IOCTL_CMD, ACT_SOCKET_FAMILY, ACT_SOCKETPAIR_FAMILY, ACT_PERSONA,
};

/* One row of the table for this machine's architecture; nr -1: the call is absent here. */
struct seccomp_call {
  const char *name;
  int nr;
  enum seccomp_action action;
};
extern const struct seccomp_call seccomp_calls[];
extern const unsigned seccomp_ncalls;

/* This architecture's number of the call the table names `name`, or -1. */
int seccomp_nr(const char *name);

/* The program, built on first use (dies if the table is inconsistent); *len gets its length. */
const struct sock_filter *seccomp_program(unsigned *len);

/* Installs the filter on the calling thread (needs no_new_privs). Dies if the kernel refuses. */
void seccomp_install(void);

#endif
