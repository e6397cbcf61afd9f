/* Landlock: the kernel's own check that the command touches nothing outside the view
 * (docs/security-model.md, "Kernel backstops"). */
#ifndef SANDBOX_LANDLOCK_H
#define SANDBOX_LANDLOCK_H

/* How a path of the view may be used. */
/* LL_LIST: directory listing only (the view's root, which holds nothing but mount points). */
enum landlock_class { LL_LIST, LL_READ, LL_WRITE, LL_DEVICES, LL_PROC };

struct landlock_rule { enum landlock_class cls; const char *path; };

/* The kernel's Landlock ABI version, or 0 when it has none (*why says why). */
int landlock_abi(const char **why);
/* Restricts the calling process to the rules, with every access right `abi` knows handled, and
 * (ABI 6 on) scoped so that it cannot signal or reach an abstract socket outside the run.
 * Needs no_new_privs. Dies if the kernel refuses. */
void landlock_restrict(int abi, const struct landlock_rule *rules, int count);

#endif
