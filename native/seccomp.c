#define _GNU_SOURCE
#include "seccomp.h"
#include "util.h"
#include <errno.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#define NATIVE_NR(x86, arm) (x86)
#define X32_SYSCALL_BIT 0x40000000u
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#define NATIVE_NR(x86, arm) (arm)
#else
#error "sandbox-init's seccomp filter knows x86_64 and aarch64 only"
#endif

/* The table, read for this architecture. Its numbers are its own, not the build machine's
 * headers': a call those headers lack is still decided, and a number it lacks is refused. */
#define ABSENT (-1)
const struct seccomp_call seccomp_calls[] = {
#define SYSCALL(name, x86, arm, action) {#name, NATIVE_NR(x86, arm), ACT_##action},
#include "syscalls.h"
#undef SYSCALL
};
const unsigned seccomp_ncalls = sizeof seccomp_calls / sizeof *seccomp_calls;

static const struct seccomp_call *row(const char *name) {
  for (unsigned i = 0; i < seccomp_ncalls; i++)
    if (!strcmp(seccomp_calls[i].name, name)) return &seccomp_calls[i];
  return NULL;
}

int seccomp_nr(const char *name) {
  const struct seccomp_call *c = row(name);
  return c ? c->nr : -1;
}

/* Every table number must lie below this; every number at or above it gets ENOSYS. */
#define NR_LIMIT 1024

/* Set-uid and set-gid bits. The command may own files a host user would run (the root CLI's
 * command is host uid 0 in the caller's own directory), so no file it makes or changes may carry
 * them: each call that takes a mode is refused when the mode has either bit. */
#define SETID_BITS (S_ISUID | S_ISGID)

/* Namespace flags. clone() carries the exit signal in its low byte, so CLONE_NEWTIME (0x80) is
 * no namespace flag for it (clone3 and unshare are refused outright). */
#define NS_FLAGS (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

/* The personalities Docker's default profile allows: PER_LINUX, PER_LINUX32, UNAME26, both, and
 * 0xffffffff, which only reads the current one. ADDR_NO_RANDOMIZE and the rest are refused. */
static const unsigned personas[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};

/* The kernel's limit is 4096 instructions; the program is a few hundred. */
#define MAX_INSNS 1024
static struct sock_filter prog[MAX_INSNS];
static unsigned len;

static void emit(struct sock_filter insn) {
  if (len >= MAX_INSNS) die("seccomp filter too long");
  prog[len++] = insn;
}
#define STMT(code, k) emit((struct sock_filter)BPF_STMT(code, k))
#define JUMP(code, k, jt, jf) emit((struct sock_filter)BPF_JUMP(code, k, jt, jf))
#define RET(k) STMT(BPF_RET | BPF_K, k)
#define LOAD(off) STMT(BPF_LD | BPF_W | BPF_ABS, off)

#define RET_ALLOW SECCOMP_RET_ALLOW
#define RET_ERRNO(e) (SECCOMP_RET_ERRNO | ((e) & SECCOMP_RET_DATA))

/* The low 32 bits of argument n (both ABIs are little-endian). Flags, modes, families and ioctl
 * commands are read by the kernel from those bits alone, so high bits smuggle nothing past. */
#define ARG_LO(n) (offsetof(struct seccomp_data, args) + 8 * (n))
#define NR offsetof(struct seccomp_data, nr)

/* A row's verdict. On entry A holds the number; every block ends in a return. Each jump offset
 * counts the instructions it skips, noted on the right. */
static void emit_action(enum seccomp_action a) {
  switch (a) {
  case ACT_ALLOW: RET(RET_ALLOW); return;
  case ACT_EPERM: RET(RET_ERRNO(EPERM)); return;
  case ACT_ENOSYS: RET(RET_ERRNO(ENOSYS)); return;
  case ACT_MODE_ARG1:
  case ACT_MODE_ARG2:
  case ACT_MODE_ARG3:
    LOAD(ARG_LO(1 + (a - ACT_MODE_ARG1)));
    JUMP(BPF_JMP | BPF_JSET | BPF_K, SETID_BITS, 0, 1); /* set: EPERM; else skip it */
    RET(RET_ERRNO(EPERM));
    RET(RET_ALLOW);
    return;
  case ACT_CLONE_FLAGS:
    LOAD(ARG_LO(0));
    JUMP(BPF_JMP | BPF_JSET | BPF_K, NS_FLAGS, 0, 1);
    RET(RET_ERRNO(EPERM));
    RET(RET_ALLOW);
    return;
  case ACT_IOCTL_CMD:
    /* Terminal input injection: TIOCSTI pushes bytes into a terminal's input queue, TIOCLINUX
     * can do the same on a virtual console; either would type commands into a shell. */
    LOAD(ARG_LO(1));
    JUMP(BPF_JMP | BPF_JEQ | BPF_K, TIOCSTI, 1, 0); /* to the EPERM */
    JUMP(BPF_JMP | BPF_JEQ | BPF_K, TIOCLINUX, 0, 1);
    RET(RET_ERRNO(EPERM));
    RET(RET_ALLOW);
    return;
  case ACT_SOCKET_FAMILY:
    /* Other families reach past the network namespace (AF_VSOCK to the host, AF_PACKET and
     * friends) or into kernel code no build needs (AF_ALG, AF_KEY, AF_BLUETOOTH, ...): the
     * kernel's own answer for a family it does not have. A netlink protocol other than
     * NETLINK_ROUTE (audit, uevents, sock_diag, ...) gets the kernel's answer for a protocol it
     * does not have, EPROTONOSUPPORT, so that callers take that path; netlink itself, which
     * getaddrinfo and getifaddrs use, stays usable. */
    LOAD(ARG_LO(0));
    JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET, 6, 0);  /* to the ALLOW */
    JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET6, 5, 0); /* to the ALLOW */
    JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, 4, 0);  /* to the ALLOW */
    JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_NETLINK, 1, 0); /* to the protocol's check */
    RET(RET_ERRNO(EAFNOSUPPORT));
    LOAD(ARG_LO(2));
    JUMP(BPF_JMP | BPF_JEQ | BPF_K, NETLINK_ROUTE, 0, 1);
    RET(RET_ALLOW);
    RET(RET_ERRNO(EPROTONOSUPPORT));
    return;
  case ACT_SOCKETPAIR_FAMILY:
    LOAD(ARG_LO(0));
    JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, 0, 1);
    RET(RET_ALLOW);
    RET(RET_ERRNO(EAFNOSUPPORT));
    return;
  case ACT_PERSONA: {
    unsigned n = sizeof personas / sizeof *personas;
    LOAD(ARG_LO(0));
    /* each equal one jumps to the ALLOW after the last; the last, when unequal, past it */
    for (unsigned i = 0; i < n; i++) JUMP(BPF_JMP | BPF_JEQ | BPF_K, personas[i], (unsigned char)(n - 1 - i), i == n - 1);
    RET(RET_ALLOW);
    RET(RET_ERRNO(EPERM));
    return;
  }
  }
  die("seccomp: unknown action %d", (int)a);
}

/* The numbers 0..NR_LIMIT-1 as runs of one action each: run k covers [start[k], start[k+1]),
 * the last one every number above it too. */
static unsigned run_start[NR_LIMIT];
static enum seccomp_action run_action[NR_LIMIT];
static unsigned nruns;

static void make_runs(void) {
  enum seccomp_action by_nr[NR_LIMIT];
  const char *named[NR_LIMIT];
  for (unsigned nr = 0; nr < NR_LIMIT; nr++) by_nr[nr] = ACT_ENOSYS, named[nr] = NULL;
  for (unsigned i = 0; i < seccomp_ncalls; i++) {
    const struct seccomp_call *c = &seccomp_calls[i];
    if (c->nr == ABSENT) continue;
    if (c->nr < 0 || c->nr >= NR_LIMIT) die("syscalls.h: %s has number %d, outside 0..%d", c->name, c->nr, NR_LIMIT - 1);
    if (named[c->nr]) die("syscalls.h: %s and %s have the same number %d", named[c->nr], c->name, c->nr);
    named[c->nr] = c->name;
    by_nr[c->nr] = c->action;
  }
  nruns = 0;
  for (unsigned nr = 0; nr < NR_LIMIT; nr++) {
    if (nr > 0 && by_nr[nr] == by_nr[nr - 1]) continue;
    run_start[nruns] = nr;
    run_action[nruns++] = by_nr[nr];
  }
  /* The last run reaches NR_LIMIT - 1 and goes on above it: it must be the default. */
  if (run_action[nruns - 1] != ACT_ENOSYS) die("syscalls.h: number %d is taken: raise NR_LIMIT", NR_LIMIT - 1);
}

/* How many instructions emit_action(a) writes: written, counted, then taken back. */
static unsigned action_size(enum seccomp_action a) {
  unsigned at = len;
  emit_action(a);
  unsigned n = len - at;
  len = at;
  return n;
}

static void emit_tree(unsigned lo, unsigned hi);

/* How many instructions emit_tree(lo, hi) writes: written, counted, then taken back. */
static unsigned tree_size(unsigned lo, unsigned hi) {
  unsigned at = len;
  emit_tree(lo, hi);
  unsigned n = len - at;
  len = at;
  return n;
}

/* Runs lo..hi as a balanced binary search on the number (A): each call is decided after about
 * log2(runs) comparisons, whatever its place in the table. */
static void emit_tree(unsigned lo, unsigned hi) {
  if (lo == hi) {
    emit_action(run_action[lo]);
    return;
  }
  unsigned mid = lo + (hi - lo + 1) / 2, left = tree_size(lo, mid - 1);
  if (left <= 255) {
    JUMP(BPF_JMP | BPF_JGE | BPF_K, run_start[mid], (unsigned char)left, 0); /* over the left half */
  } else {
    /* a conditional jump skips at most 255: a long one takes over */
    JUMP(BPF_JMP | BPF_JGE | BPF_K, run_start[mid], 0, 1);
    STMT(BPF_JMP | BPF_JA, left);
  }
  emit_tree(lo, mid - 1);
  emit_tree(mid, hi);
}

/* The calls that take the filter's whole path most often. A call allowed whatever its
 * arguments never runs the filter on a kernel with the seccomp action cache (5.11 on); these
 * read an argument, so they do, and are decided first. */
static const char *const hot[] = {"openat", "ioctl"};

static void build(void) {
  len = 0;
  make_runs();
  /* A foreign ABI (ia32 through int 0x80 on x86_64, arm32 on aarch64) has other syscall
   * numbers: nothing below would mean what it says, so every such call is refused. */
  LOAD(offsetof(struct seccomp_data, arch));
  JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0);
  RET(RET_ERRNO(ENOSYS));
  LOAD(NR);
#ifdef X32_SYSCALL_BIT
  /* x32 shares the x86_64 arch value; its calls have this bit set. */
  JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 0, 1);
  RET(RET_ERRNO(ENOSYS));
#endif
  for (unsigned i = 0; i < sizeof hot / sizeof *hot; i++) {
    const struct seccomp_call *c = row(hot[i]);
    if (!c || c->nr < 0) die("syscalls.h: no %s", hot[i]);
    JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)c->nr, 0, (unsigned char)action_size(c->action)); /* else past its block */
    emit_action(c->action);
  }
  emit_tree(0, nruns - 1);
}

const struct sock_filter *seccomp_program(unsigned *n) {
  if (len == 0) build();
  *n = len;
  return prog;
}

void seccomp_install(void) {
  unsigned n;
  const struct sock_filter *p = seccomp_program(&n);
  struct sock_fprog fprog = {.len = (unsigned short)n, .filter = (struct sock_filter *)p};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0) die_errno("install the seccomp filter");
}
