/* The seccomp filter installed in the command's process just before exec (docs/security-model.md,
 * "Kernel backstops"). A hand-written BPF program: no library to build or ship, one table to read. */
#ifndef SANDBOX_SECCOMP_H
#define SANDBOX_SECCOMP_H

/* Installs the filter on the calling thread (needs no_new_privs). Dies if the kernel refuses. */
void seccomp_install(void);

#endif
