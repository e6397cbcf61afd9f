#define _GNU_SOURCE
#include "seccomp.h"
#include "util.h"
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#define X32_SYSCALL_BIT 0x40000000u
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#else
#error "sandbox-init's seccomp filter knows x86_64 and aarch64 only"
#endif

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452 /* the same number on every architecture */
#endif

/* Set-uid and set-gid bits. The command may own files a host user would run (the root CLI's
 * command is host uid 0 in the caller's own directory), so no file it makes or changes may carry
 * them: each call that takes a mode is refused when the mode has either bit. */
#define SETID_BITS (S_ISUID | S_ISGID)

/* Namespace flags. clone() carries the exit signal in its low byte, so CLONE_NEWTIME (0x80) is
 * only a namespace flag for unshare() (clone3 is refused outright). */
#define NS_FLAGS (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

/* Refused with EPERM, whatever their arguments. #ifdef: not every call exists on every ABI. */
static const int refused[] = {
  /* other namespaces, mounts, a new root */
  __NR_setns, __NR_mount, __NR_umount2, __NR_pivot_root, __NR_chroot,
#ifdef __NR_open_tree
  __NR_open_tree, __NR_move_mount, __NR_fsopen, __NR_fsconfig, __NR_fsmount, __NR_fspick,
#endif
#ifdef __NR_mount_setattr
  __NR_mount_setattr,
#endif
  /* kernel attack surface with no place in a build or an install */
  __NR_bpf, __NR_perf_event_open, __NR_userfaultfd,
  __NR_keyctl, __NR_add_key, __NR_request_key,
  __NR_init_module, __NR_finit_module, __NR_delete_module,
  __NR_kexec_load,
#ifdef __NR_kexec_file_load
  __NR_kexec_file_load,
#endif
  __NR_reboot, __NR_swapon, __NR_swapoff, __NR_acct,
  __NR_open_by_handle_at, __NR_lookup_dcookie, __NR_quotactl,
#ifdef __NR_quotactl_fd
  __NR_quotactl_fd,
#endif
  __NR_syslog, __NR_vhangup,
#ifdef __NR_iopl
  __NR_iopl, __NR_ioperm,
#endif
#ifdef __NR_uselib
  __NR_uselib,
#endif
};

/* Refused with ENOSYS, so that callers fall back as on a kernel without them: clone3 (libc
 * then uses clone, whose flags we can inspect) and io_uring (libuv and others fall back). */
static const int absent[] = {
#ifdef __NR_clone3
  __NR_clone3,
#endif
  __NR_io_uring_setup, __NR_io_uring_enter, __NR_io_uring_register,
  /* openat2 takes its mode behind a pointer the filter cannot read; libc's open uses openat. */
  __NR_openat2,
};

/* Calls that take a mode, and the argument that holds it. The hot ones come first: a call whose
 * answer depends on its arguments runs the filter each time, up to its own rule. */
static const struct { int nr, arg; } with_mode[] = {
  {__NR_openat, 3},
#ifdef __NR_open
  {__NR_open, 2}, {__NR_creat, 1}, {__NR_chmod, 1}, {__NR_mknod, 1},
#endif
  {__NR_fchmod, 1}, {__NR_fchmodat, 2}, {__NR_fchmodat2, 2}, {__NR_mknodat, 2},
};

#define MAX_INSNS 256
static struct sock_filter prog[MAX_INSNS];
static unsigned len;

static void emit(struct sock_filter insn) {
  if (len >= MAX_INSNS) die("seccomp filter too long");
  prog[len++] = insn;
}
#define STMT(code, k) emit((struct sock_filter)BPF_STMT(code, k))
#define JUMP(code, k, jt, jf) emit((struct sock_filter)BPF_JUMP(code, k, jt, jf))

#define RET_ALLOW SECCOMP_RET_ALLOW
#define RET_ERRNO(e) (SECCOMP_RET_ERRNO | ((e) & SECCOMP_RET_DATA))

/* The low 32 bits of argument n (both ABIs are little-endian). Flags and ioctl commands are
 * read by the kernel from those bits alone, so high bits cannot smuggle anything past this. */
#define ARG_LO(n) (offsetof(struct seccomp_data, args) + 8 * (n))

/* if (nr == N) return action; */
static void refuse_nr(int nr, unsigned action) {
  JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1);
  STMT(BPF_RET | BPF_K, action);
}

/* if (nr == N && (arg & mask)) return EPERM; reloads nr afterwards. */
static void refuse_bits(int nr, int arg, unsigned mask) {
  JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 4);
  STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(arg));
  JUMP(BPF_JMP | BPF_JSET | BPF_K, mask, 0, 1);
  STMT(BPF_RET | BPF_K, RET_ERRNO(EPERM));
  STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
}

/* Terminal input injection: TIOCSTI pushes bytes into a terminal's input queue, TIOCLINUX can
 * do the same on a virtual console; either would type commands into the caller's shell. */
static void refuse_tty_injection(void) {
  JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ioctl, 0, 4);
  STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(1));
  JUMP(BPF_JMP | BPF_JEQ | BPF_K, TIOCSTI, 1, 0);
  JUMP(BPF_JMP | BPF_JEQ | BPF_K, TIOCLINUX, 0, 1);
  STMT(BPF_RET | BPF_K, RET_ERRNO(EPERM));
  STMT(BPF_RET | BPF_K, RET_ALLOW); /* every other call, and ioctl with any other command */
}

static void build(void) {
  len = 0;
  /* A foreign ABI (ia32 through int 0x80 on x86_64, arm32 on aarch64) has other syscall
   * numbers: nothing below would mean what it says, so every such call is refused. */
  STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
  JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0);
  STMT(BPF_RET | BPF_K, RET_ERRNO(ENOSYS));
  STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
#ifdef X32_SYSCALL_BIT
  /* x32 shares the x86_64 arch value; its calls have this bit set. */
  JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 0, 1);
  STMT(BPF_RET | BPF_K, RET_ERRNO(ENOSYS));
#endif
  for (unsigned i = 0; i < sizeof with_mode / sizeof *with_mode; i++) refuse_bits(with_mode[i].nr, with_mode[i].arg, SETID_BITS);
  for (unsigned i = 0; i < sizeof refused / sizeof *refused; i++) refuse_nr(refused[i], RET_ERRNO(EPERM));
  for (unsigned i = 0; i < sizeof absent / sizeof *absent; i++) refuse_nr(absent[i], RET_ERRNO(ENOSYS));
  refuse_bits(__NR_clone, 0, NS_FLAGS);
  refuse_bits(__NR_unshare, 0, NS_FLAGS | CLONE_NEWTIME);
  refuse_tty_injection(); /* ends with the final ALLOW for every other call */
}

void seccomp_install(void) {
  build();
  struct sock_fprog fprog = {.len = (unsigned short)len, .filter = prog};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0) die_errno("install the seccomp filter");
}
