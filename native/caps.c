#define _GNU_SOURCE
#include "caps.h"
#include "util.h"
#include <errno.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static int last_cap(void) {
  FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");
  int last = 63; /* unknown: try them all, PR_CAPBSET_READ says EINVAL past the end */
  if (f) {
    if (fscanf(f, "%d", &last) != 1) last = 63;
    fclose(f);
  }
  return last;
}

static void capset_empty(void) {
  struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct d[2];
  memset(d, 0, sizeof d);
  if (syscall(SYS_capset, &h, d) < 0) die_errno("empty the capability sets");
}

void caps_drop_all(void) {
  int last = last_cap();
  /* Securebits first, while CAP_SETPCAP may still be held: a uid 0 inside the user namespace
   * must not regain capabilities on exec. Without CAP_SETPCAP (bubblewrap has already dropped
   * everything) this fails, and the empty bounding and inheritable sets below do the same job. */
  unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                       SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
                       SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
  if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) < 0 && errno != EPERM) die_errno("set securebits");
  for (int cap = 0; cap <= last; cap++) {
    int has = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
    if (has < 0 && errno == EINVAL) break;
    if (has == 1 && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) die_errno("drop capability %d from the bounding set", cap);
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) die_errno("clear the ambient capabilities");
  capset_empty();
  caps_verify_none();
}

void caps_verify_none(void) {
  struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct d[2];
  if (syscall(SYS_capget, &h, d) < 0) die_errno("read the capability sets");
  for (int i = 0; i < 2; i++)
    if (d[i].effective || d[i].permitted || d[i].inheritable) die("capabilities remain after dropping them all");
  int last = last_cap();
  for (int cap = 0; cap <= last; cap++) {
    int has = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
    if (has < 0 && errno == EINVAL) break;
    if (has != 0) die("capability %d remains in the bounding set", cap);
    int amb = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0);
    if (amb > 0) die("capability %d remains in the ambient set", cap);
  }
}
