/* Small checked helpers shared by every phase of sandbox-init: one way to fail, checked number
 * parsing, allocations that cannot return NULL. */
#ifndef SANDBOX_UTIL_H
#define SANDBOX_UTIL_H
#include <stddef.h>

/* Exit status of a setup failure, before the command runs (the CLI's "could not run" status). */
#define SETUP_FAILED 125

/* Where a setup failure is reported. -1: stderr. In the command's child, a pipe to PID 1, so a
 * failure to contain the command is never mistaken for the command's own output or exit. */
extern int report_fd;

__attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...);
/* Same, with ": strerror(errno)" appended. */
__attribute__((noreturn, format(printf, 1, 2))) void die_errno(const char *fmt, ...);

/* Decimal integer in [min, max], whole string, or die naming `what`. */
long long parse_number(const char *text, long long min, long long max, const char *what);

void *xcalloc(size_t count, size_t size);
char *xstrdup(const char *s);
/* "a" + "b", freshly allocated. */
char *xconcat(const char *a, const char *b);

/* out = a + b, or die when it does not fit in `cap` bytes. */
void join(char *out, size_t cap, const char *a, const char *b);

/* Appends `s` to `out` as a JSON string (quotes included), escaping what JSON requires. */
void json_string(char *out, size_t cap, const char *s);

#endif
