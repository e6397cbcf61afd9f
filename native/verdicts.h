/* `sandbox-init seccomp-verdicts`: the seccomp filter's answer to a set of probes, computed by a
 * small classic-BPF interpreter over the very program seccomp_install() installs, for this
 * machine's architecture. test/containment/seccomp-table.test.ts compares each line with the
 * table native/syscalls.h. Nothing is installed; the process only prints. */
#ifndef SANDBOX_VERDICTS_H
#define SANDBOX_VERDICTS_H

/* Prints one line per probe on stdout ("nr 41 allow", "socket 40 errno EAFNOSUPPORT", ...) and
 * returns 0. Dies on an instruction the interpreter does not know or a jump out of the program. */
int seccomp_verdicts(void);

#endif
