#define _GNU_SOURCE
#include "landlock.h"
#include "util.h"
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Our own copies of the UAPI: the build machine's headers may be older than the kernel. */
struct ruleset_attr { uint64_t handled_access_fs, handled_access_net, scoped; };
struct path_beneath_attr { uint64_t allowed_access; int32_t parent_fd; } __attribute__((packed));

#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#define __NR_landlock_add_rule 445
#define __NR_landlock_restrict_self 446
#endif
#define CREATE_RULESET_VERSION (1u << 0)
#define RULE_PATH_BENEATH 1

#define FS_EXECUTE (1ull << 0)
#define FS_WRITE_FILE (1ull << 1)
#define FS_READ_FILE (1ull << 2)
#define FS_READ_DIR (1ull << 3)
#define FS_REMOVE_DIR (1ull << 4)
#define FS_REMOVE_FILE (1ull << 5)
#define FS_MAKE_CHAR (1ull << 6)
#define FS_MAKE_DIR (1ull << 7)
#define FS_MAKE_REG (1ull << 8)
#define FS_MAKE_SOCK (1ull << 9)
#define FS_MAKE_FIFO (1ull << 10)
#define FS_MAKE_BLOCK (1ull << 11)
#define FS_MAKE_SYM (1ull << 12)
#define FS_REFER (1ull << 13)    /* ABI 2 */
#define FS_TRUNCATE (1ull << 14) /* ABI 3 */
#define FS_IOCTL_DEV (1ull << 15) /* ABI 5 */
#define SCOPE_ABSTRACT_UNIX (1ull << 0) /* ABI 6 */
#define SCOPE_SIGNAL (1ull << 1)        /* ABI 6 */

int landlock_abi(const char **why) {
  long abi = syscall(__NR_landlock_create_ruleset, NULL, 0, CREATE_RULESET_VERSION);
  if (abi >= 1) return (int)abi;
  if (errno == ENOSYS) *why = "the kernel was built without Landlock";
  else if (errno == EOPNOTSUPP) *why = "Landlock is disabled at boot (lsm= does not list landlock)";
  else *why = strerror(errno);
  return 0;
}

static uint64_t handled_for(int abi) {
  uint64_t all = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_READ_DIR | FS_REMOVE_DIR | FS_REMOVE_FILE |
                 FS_MAKE_CHAR | FS_MAKE_DIR | FS_MAKE_REG | FS_MAKE_SOCK | FS_MAKE_FIFO | FS_MAKE_BLOCK | FS_MAKE_SYM;
  if (abi >= 2) all |= FS_REFER;
  if (abi >= 3) all |= FS_TRUNCATE;
  if (abi >= 5) all |= FS_IOCTL_DEV;
  return all;
}

static uint64_t allowed_for(enum landlock_class cls, uint64_t handled) {
  const uint64_t read = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR;
  uint64_t a;
  switch (cls) {
    case LL_LIST: a = FS_READ_DIR; break;
    case LL_READ: a = read; break;
    /* Everything but making device nodes (no capability could use them anyway). */
    case LL_WRITE: a = handled & ~(FS_MAKE_CHAR | FS_MAKE_BLOCK | FS_IOCTL_DEV); break;
    /* /dev: the few nodes of the view, read and written, terminals' ioctls. */
    case LL_DEVICES: a = FS_READ_FILE | FS_WRITE_FILE | FS_READ_DIR | FS_TRUNCATE | FS_IOCTL_DEV; break;
    /* /proc: the run's own processes; /proc/self/exe may be re-executed. */
    case LL_PROC: a = read | FS_WRITE_FILE | FS_TRUNCATE; break;
    default: a = 0;
  }
  return a & handled;
}

void landlock_restrict(int abi, const struct landlock_rule *rules, int count) {
  struct ruleset_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.handled_access_fs = handled_for(abi);
  size_t size = sizeof attr.handled_access_fs;
  if (abi >= 6) {
    attr.scoped = SCOPE_ABSTRACT_UNIX | SCOPE_SIGNAL;
    size = sizeof attr;
  }
  int ruleset = (int)syscall(__NR_landlock_create_ruleset, &attr, size, 0);
  if (ruleset < 0) die_errno("create the Landlock ruleset (ABI %d)", abi);
  for (int i = 0; i < count; i++) {
    int fd = open(rules[i].path, O_PATH | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) continue; /* a part of the view this host does not have (/lib32...) */
      die_errno("open %s for a Landlock rule", rules[i].path);
    }
    struct path_beneath_attr pb = {.allowed_access = allowed_for(rules[i].cls, attr.handled_access_fs), .parent_fd = fd};
    /* A rule on a file (not a directory) may only name file rights. */
    if (syscall(__NR_landlock_add_rule, ruleset, RULE_PATH_BENEATH, &pb, 0) < 0) {
      if (errno == EINVAL) {
        pb.allowed_access &= FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV;
        if (syscall(__NR_landlock_add_rule, ruleset, RULE_PATH_BENEATH, &pb, 0) == 0) { close(fd); continue; }
      }
      die_errno("add the Landlock rule for %s", rules[i].path);
    }
    close(fd);
  }
  if (syscall(__NR_landlock_restrict_self, ruleset, 0) < 0) die_errno("enforce the Landlock ruleset");
  close(ruleset);
}
