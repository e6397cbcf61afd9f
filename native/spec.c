#define _GNU_SOURCE
#include "spec.h"
#include "util.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_SPEC (16 << 20)

static char *next_string(char **p, char *end) {
  char *s = *p, *z = memchr(s, 0, (size_t)(end - s));
  if (!z) die("the command spec is truncated");
  *p = z + 1;
  return s;
}

static long long limit_field(const char *text, const char *what) {
  return *text ? parse_number(text, 0, 1LL << 62, what) : -1;
}

int spec_read(int fd, struct spec *out) {
  size_t cap = 1 << 16, len = 0;
  char *buf = xcalloc(cap, 1);
  for (;;) {
    if (len == cap) {
      if (cap >= MAX_SPEC) die("the command spec is larger than %d bytes", MAX_SPEC);
      cap *= 2;
      char *grown = realloc(buf, cap);
      if (!grown) die("out of memory");
      buf = grown;
    }
    ssize_t n = read(fd, buf + len, cap - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die_errno("read the command spec");
    if (n == 0) break;
    len += (size_t)n;
  }
  close(fd);
  if (len == 0) return 0;
  char *p = buf, *end = buf + len;
  long long argc = parse_number(next_string(&p, end), 1, 1 << 20, "spec argc");
  out->argv = xcalloc((size_t)argc + 1, sizeof *out->argv);
  for (long long k = 0; k < argc; k++) out->argv[k] = next_string(&p, end);
  long long envc = parse_number(next_string(&p, end), 0, 1 << 20, "spec envc");
  out->env = xcalloc((size_t)envc + 1, sizeof *out->env);
  for (long long k = 0; k < envc; k++) out->env[k] = next_string(&p, end);
  out->cwd = next_string(&p, end);
  out->nproc = limit_field(next_string(&p, end), "spec nproc");
  out->fsize = limit_field(next_string(&p, end), "spec fsize");
  out->nofile = limit_field(next_string(&p, end), "spec nofile");
  out->cpu = limit_field(next_string(&p, end), "spec cpu");
  out->data = limit_field(next_string(&p, end), "spec data");
  if (p != end) die("the command spec has trailing bytes");
  return 1;
}
