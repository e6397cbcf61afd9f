#define _GNU_SOURCE
#include "util.h"
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int report_fd = -1;

static void vreport(const char *fmt, va_list ap, int err) {
  char msg[1024];
  int n = vsnprintf(msg, sizeof msg, fmt, ap);
  if (n < 0) n = 0;
  if ((size_t)n >= sizeof msg) n = sizeof msg - 1;
  if (err) snprintf(msg + n, sizeof msg - (size_t)n, ": %s", strerror(err));
  if (report_fd >= 0) {
    /* One write: the reader takes whatever arrives before EOF as the whole message. */
    ssize_t w = write(report_fd, msg, strlen(msg));
    (void)w;
  } else {
    fprintf(stderr, "temporal-sandbox: sandbox-init: %s\n", msg);
  }
}

void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vreport(fmt, ap, 0);
  va_end(ap);
  _exit(SETUP_FAILED);
}

void die_errno(const char *fmt, ...) {
  int err = errno;
  va_list ap;
  va_start(ap, fmt);
  vreport(fmt, ap, err);
  va_end(ap);
  _exit(SETUP_FAILED);
}

long long parse_number(const char *text, long long min, long long max, const char *what) {
  if (!text || !*text) die("%s is empty", what);
  char *end = NULL;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  if (errno || *end || end == text || v < min || v > max)
    die("%s '%s' is not a number from %lld to %lld", what, text, min, max);
  return v;
}

void *xcalloc(size_t count, size_t size) {
  void *p = calloc(count ? count : 1, size ? size : 1);
  if (!p) die("out of memory");
  return p;
}

char *xstrdup(const char *s) {
  char *p = strdup(s);
  if (!p) die("out of memory");
  return p;
}

char *xconcat(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  char *p = xcalloc(la + lb + 1, 1);
  memcpy(p, a, la);
  memcpy(p + la, b, lb);
  return p;
}

void join(char *out, size_t cap, const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la + lb + 1 > cap) die("path too long: %s%s", a, b);
  memcpy(out, a, la);
  memcpy(out + la, b, lb + 1);
}

void json_string(char *out, size_t cap, const char *s) {
  size_t n = strlen(out);
  if (n + 2 >= cap) return;
  out[n++] = '"';
  for (; *s && n + 7 < cap; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') { out[n++] = '\\'; out[n++] = (char)c; }
    else if (c < 0x20 || c == 0x7f) n += (size_t)snprintf(out + n, cap - n, "\\u%04x", c);
    else out[n++] = (char)c;
  }
  out[n++] = '"';
  out[n] = 0;
}
