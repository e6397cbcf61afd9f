#define _GNU_SOURCE
#include "view.h"
#include "util.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
#define MOUNT_ATTR_NOEXEC 0x00000008
struct mount_attr { unsigned long long attr_set, attr_clr, propagation, userns_fd; };
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef __NR_mount_setattr
#define __NR_mount_setattr 442
#endif

/* ---- parsing -------------------------------------------------------------------------- */

static const char *need(int argc, char **argv, int at, const char *opt) {
  if (at >= argc) die("%s is missing an argument", opt);
  return argv[at];
}

static const char *absolute(const char *p, const char *opt) {
  if (p[0] != '/') die("%s: '%s' is not an absolute path", opt, p);
  return p;
}

int view_parse(int argc, char **argv, int *i, struct view_op *op) {
  const char *opt = argv[*i];
  memset(op, 0, sizeof *op);
  int two = 0;
  if (!strcmp(opt, "--ro-bind")) op->kind = V_RO_BIND, two = 1;
  else if (!strcmp(opt, "--bind")) op->kind = V_BIND, two = 1;
  else if (!strcmp(opt, "--symlink")) op->kind = V_SYMLINK, two = 1;
  else if (!strcmp(opt, "--proc")) op->kind = V_PROC;
  else if (!strcmp(opt, "--dev")) op->kind = V_DEV;
  else if (!strcmp(opt, "--tmpfs")) op->kind = V_TMPFS;
  else if (!strcmp(opt, "--remount-ro")) op->kind = V_REMOUNT_RO;
  else return 0;
  if (two) {
    op->src = need(argc, argv, *i + 1, opt);
    op->dest = absolute(need(argc, argv, *i + 2, opt), opt);
    if (op->kind != V_SYMLINK) absolute(op->src, opt);
    *i += 2;
  } else {
    op->dest = absolute(need(argc, argv, *i + 1, opt), opt);
    *i += 1;
  }
  if (op->kind == V_TMPFS) {
    op->bytes = parse_number(need(argc, argv, *i + 1, opt), 4096, 1LL << 50, "--tmpfs size");
    op->mode = (unsigned)parse_number(need(argc, argv, *i + 2, opt), 0, 07777, "--tmpfs mode");
    op->inodes = parse_number(need(argc, argv, *i + 3, opt), 0, 1LL << 32, "--tmpfs files");
    *i += 3;
  }
  return 1;
}

/* ---- building ------------------------------------------------------------------------- */

#define NEWROOT "/newroot"
#define OLDROOT "/oldroot"

static void set_attr(const char *path, unsigned long long set, int recursive) {
  struct mount_attr a = {.attr_set = set};
  if (syscall(__NR_mount_setattr, AT_FDCWD, path, recursive ? AT_RECURSIVE : 0, &a, sizeof a) < 0)
    die_errno("set mount attributes of %s", path);
}

/* mkdir -p inside the new root; every component is ours (a tmpfs) or an existing directory. */
static void make_dirs(const char *path) {
  char buf[PATH_MAX];
  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) die("path too long: %s", path);
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(buf, 0755) < 0 && errno != EEXIST) die_errno("create %s", buf);
    *p = '/';
  }
  if (mkdir(buf, 0755) < 0 && errno != EEXIST) die_errno("create %s", buf);
}

/* A mount point of the same type as what is mounted on it: a directory or an empty file. */
static void make_mount_point(const char *path, int directory) {
  if (directory) return make_dirs(path);
  char parent[PATH_MAX];
  snprintf(parent, sizeof parent, "%s", path);
  char *slash = strrchr(parent, '/');
  if (slash && slash != parent) {
    *slash = 0;
    make_dirs(parent);
  }
  /* An existing file is a mount point already (the host's /etc/resolv.conf, which a user other
   * than its owner could not open for writing). */
  struct stat st;
  if (lstat(path, &st) == 0 && S_ISREG(st.st_mode)) return;
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0 && errno != EEXIST && errno != EROFS) die_errno("create %s", path);
  if (fd >= 0) close(fd);
}

static void bind(const char *src, const char *dest, unsigned long long attrs) {
  struct stat st;
  if (stat(src, &st) < 0) die_errno("bind %s", src);
  make_mount_point(dest, S_ISDIR(st.st_mode));
  if (mount(src, dest, NULL, MS_BIND | MS_REC, NULL) < 0) die_errno("bind %s on %s", src, dest);
  set_attr(dest, attrs, 1);
}

static void mount_fs(const char *type, const char *dest, unsigned long flags, const char *data) {
  make_dirs(dest);
  if (mount(type, dest, type, flags, data) < 0) die_errno("mount %s on %s", type, dest);
}

/* The minimal /dev: the harmless nodes, a private devpts, and the usual links. */
static void build_dev(const char *dest) {
  char path[PATH_MAX], src[PATH_MAX];
  mount_fs("tmpfs", dest, MS_NOSUID | MS_NOEXEC, "mode=0755,size=65536");
  static const char *nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
  for (unsigned k = 0; k < sizeof nodes / sizeof *nodes; k++) {
    char name[32];
    snprintf(name, sizeof name, "/%s", nodes[k]);
    join(src, sizeof src, OLDROOT "/dev", name);
    join(path, sizeof path, dest, name);
    make_mount_point(path, 0);
    if (mount(src, path, NULL, MS_BIND, NULL) < 0) die_errno("bind %s", src);
    set_attr(path, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, 0);
  }
  join(path, sizeof path, dest, "/pts");
  mount_fs("devpts", path, MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620");
  join(path, sizeof path, dest, "/shm");
  make_dirs(path);
  static const char *links[][2] = {
    {"pts/ptmx", "ptmx"}, {"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"},
    {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"}, {"/proc/kcore", "core"},
  };
  for (unsigned k = 0; k < sizeof links / sizeof *links; k++) {
    char name[32];
    snprintf(name, sizeof name, "/%s", links[k][1]);
    join(path, sizeof path, dest, name);
    if (symlink(links[k][0], path) < 0 && errno != EEXIST) die_errno("link %s", path);
  }
}

static void apply(const struct view_op *op) {
  char dest[PATH_MAX], src[PATH_MAX], data[64];
  join(dest, sizeof dest, NEWROOT, strcmp(op->dest, "/") ? op->dest : "");
  if (op->src && op->kind != V_SYMLINK) join(src, sizeof src, OLDROOT, op->src);
  switch (op->kind) {
    case V_RO_BIND: bind(src, dest, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV); break;
    case V_BIND: bind(src, dest, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV); break;
    case V_SYMLINK: {
      char parent[PATH_MAX];
      snprintf(parent, sizeof parent, "%s", dest);
      char *slash = strrchr(parent, '/');
      if (slash && slash != parent) { *slash = 0; make_dirs(parent); }
      if (symlink(op->src, dest) < 0) die_errno("link %s", op->dest);
      break;
    }
    case V_PROC: mount_fs("proc", dest, MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL); break;
    case V_DEV: build_dev(dest); break;
    case V_TMPFS:
      if (op->inodes > 0) snprintf(data, sizeof data, "size=%lld,mode=%04o,nr_inodes=%lld", op->bytes, op->mode, op->inodes);
      else snprintf(data, sizeof data, "size=%lld,mode=%04o", op->bytes, op->mode);
      mount_fs("tmpfs", dest, MS_NOSUID | MS_NODEV, data);
      break;
    case V_REMOUNT_RO: set_attr(dest, MOUNT_ATTR_RDONLY, 0); break;
  }
}

void view_build(const struct view_op *ops, int count) {
  /* Nothing we mount may propagate back to the host (unshare already made it private). */
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) die_errno("make the mount tree private");
  /* A scratch tmpfs becomes the root for a moment, the host's root hangs below it at /oldroot
   * (so every host path, /tmp included, stays reachable as a source) and the new root is built
   * on a tmpfs of its own at /newroot. */
  if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700,size=65536") < 0) die_errno("mount the scratch tmpfs");
  if (mkdir("/tmp" NEWROOT, 0755) < 0 || mkdir("/tmp" OLDROOT, 0755) < 0) die_errno("create the scratch directories");
  if (syscall(SYS_pivot_root, "/tmp", "/tmp" OLDROOT) < 0) die_errno("pivot into the scratch tmpfs");
  if (chdir("/") < 0) die_errno("chdir /");
  if (mount("tmpfs", NEWROOT, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1048576") < 0) die_errno("mount the new root");
  for (int k = 0; k < count; k++) apply(&ops[k]);
  /* Nothing of the host stays attached: its root goes, then the scratch tmpfs under the view. */
  if (umount2(OLDROOT, MNT_DETACH) < 0) die_errno("detach the host root");
  if (chdir(NEWROOT) < 0) die_errno("chdir into the new root");
  if (syscall(SYS_pivot_root, ".", ".") < 0) die_errno("pivot into the new root");
  if (umount2(".", MNT_DETACH) < 0) die_errno("detach the scratch tmpfs");
  if (chdir("/") < 0) die_errno("chdir /");
}

/* ---- masking root-only files ---------------------------------------------------------- */

static void note(char *report, size_t cap, int *count, const char *path) {
  size_t n = strlen(report);
  if (n + strlen(path) + 16 >= cap) { (*count)++; return; }
  if (*count > 0) strcat(report, ",");
  json_string(report, cap, path);
  (*count)++;
}

/* A file: /dev/null on a nodev mount, so that opening it fails as it would for anyone else. */
static void mask_file(const char *path) {
  if (mount("/dev/null", path, NULL, MS_BIND, NULL) < 0) die_errno("mask %s", path);
  set_attr(path, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, 0);
}

/* A directory: an empty read-only tmpfs nobody may list. */
static void mask_dir(const char *path) {
  if (mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0000,size=4096") < 0)
    die_errno("mask %s", path);
}

/* Readable by root (owner 0 or group 0) and not by others. */
static int root_only(const struct stat *st, int directory) {
  unsigned need_other = directory ? (S_IROTH | S_IXOTH) : S_IROTH;
  if ((st->st_mode & need_other) == need_other) return 0;
  int owner = st->st_uid == 0 && (st->st_mode & (directory ? S_IRUSR | S_IXUSR : S_IRUSR));
  int group = st->st_gid == 0 && (st->st_mode & (directory ? S_IRGRP | S_IXGRP : S_IRGRP));
  return owner || group;
}

static int visited;

/* Walks by directory descriptor (no path is resolved twice) and skips links by d_type, so most of
 * /etc (certificate links, alternatives) costs no stat at all. */
static void walk(int dfd, const char *dir, char *report, size_t cap, int *count, int depth) {
  DIR *d = fdopendir(dfd);
  if (!d) {
    close(dfd);
    return;
  }
  struct dirent *e;
  while ((e = readdir(d))) {
    const char *name = e->d_name;
    if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2]))) continue;
    if (e->d_type == DT_LNK) continue;
    if (++visited > 100000) die("too many entries under /etc to check");
    struct stat st;
    if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0 || S_ISLNK(st.st_mode)) continue;
    int directory = S_ISDIR(st.st_mode);
    if (!directory && !S_ISREG(st.st_mode)) continue;
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) continue;
    if (root_only(&st, directory)) {
      if (directory) mask_dir(path);
      else mask_file(path);
      note(report, cap, count, path);
    } else if (directory && depth < 16) {
      int sub = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub >= 0) walk(sub, path, report, cap, count, depth + 1);
    }
  }
  closedir(d);
}

/* World-readable /proc files that show host uid 0 more than anyone else: kernel addresses
 * (kallsyms), every key and task on the host (keys, key-users, sched_debug). Container runtimes
 * mask these too. */
static const char *proc_for_root[] = {"kallsyms", "keys", "key-users", "sched_debug", "timer_list", "kcore"};

/* The host's global /proc files that only root may read (kpageflags, kpagecount, kpagecgroup,
 * slabinfo, vmallocinfo, timer_list, ...: physical addresses and other tasks), and the list above.
 * The run's own PID directories are its own. */
static void mask_proc(char *report, size_t cap, int *count) {
  DIR *d = opendir("/proc");
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    const char *name = e->d_name;
    if (name[0] == '.' || (name[0] >= '0' && name[0] <= '9') || e->d_type == DT_LNK) continue;
    struct stat st;
    if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0) continue;
    int directory = S_ISDIR(st.st_mode), listed = 0;
    for (unsigned k = 0; k < sizeof proc_for_root / sizeof *proc_for_root; k++) listed |= !strcmp(name, proc_for_root[k]);
    if (!listed && !root_only(&st, directory)) continue;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "/proc/%s", name);
    if (directory) mask_dir(path);
    else mask_file(path);
    note(report, cap, count, path);
  }
  closedir(d);
}

void view_mask_root_only(char *report, size_t cap, int *count) {
  int etc = open("/etc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (etc >= 0) walk(etc, "/etc", report, cap, count, 0);
  mask_proc(report, cap, count);
  /* Sysctls, sysrq and the like check the writer's uid, not its capabilities: host uid 0 may
   * write them. And PID 1's entries belong to the root of the user namespace, which here is the
   * command's own uid. So /proc becomes read-only and shows only what the command may ptrace. */
  if (mount("proc", "/proc", "proc", MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=ptraceable") < 0)
    die_errno("remount /proc read-only with hidepid=ptraceable");
  note(report, cap, count, "/proc (read-only, hidepid=ptraceable)");
}
