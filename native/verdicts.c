#define _GNU_SOURCE
#include "verdicts.h"
#include "seccomp.h"
#include "util.h"
#include <errno.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#define FOREIGN_ARCH AUDIT_ARCH_I386 /* int 0x80 */
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#define FOREIGN_ARCH AUDIT_ARCH_ARM
#endif

/* The most instructions one probe of a number ran: the cost of the filter's longest path. */
static unsigned longest;

/* Classic BPF as seccomp runs it, for the opcodes the builder emits: loads of seccomp_data,
 * forward jumps, returns. Anything else, or a jump or load outside, is a builder bug. */
static uint32_t run(const struct sock_filter *p, unsigned n, const struct seccomp_data *d, unsigned *steps) {
  uint32_t a = 0;
  *steps = 0;
  for (unsigned pc = 0; pc < n; pc++) {
    ++*steps;
    const struct sock_filter *i = &p[pc];
    unsigned left = n - pc - 1; /* how far a jump from here may go */
    int jump = -1;
    switch (i->code) {
    case BPF_LD | BPF_W | BPF_ABS:
      if (i->k % 4 || i->k > sizeof *d - 4) die("seccomp-verdicts: load at offset %u (instruction %u)", i->k, pc);
      memcpy(&a, (const char *)d + i->k, 4);
      break;
    case BPF_RET | BPF_K:
      return i->k;
    case BPF_JMP | BPF_JA:
      if (i->k > left) die("seccomp-verdicts: jump past the end (instruction %u)", pc);
      pc += i->k;
      break;
    case BPF_JMP | BPF_JEQ | BPF_K: jump = a == i->k; break;
    case BPF_JMP | BPF_JGE | BPF_K: jump = a >= i->k; break;
    case BPF_JMP | BPF_JGT | BPF_K: jump = a > i->k; break;
    case BPF_JMP | BPF_JSET | BPF_K: jump = (a & i->k) != 0; break;
    default:
      die("seccomp-verdicts: opcode 0x%x the interpreter does not know (instruction %u)", i->code, pc);
    }
    if (jump >= 0) {
      unsigned off = jump ? i->jt : i->jf;
      if (off > left) die("seccomp-verdicts: jump past the end (instruction %u)", pc);
      pc += off;
    }
  }
  die("seccomp-verdicts: the program ends without a return");
}

static const char *errno_name(unsigned e) {
  static char other[16];
  switch (e) {
  case EPERM: return "EPERM";
  case ENOSYS: return "ENOSYS";
  case EAFNOSUPPORT: return "EAFNOSUPPORT";
  case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
  }
  snprintf(other, sizeof other, "%u", e);
  return other;
}

static const struct sock_filter *prog;
static unsigned prog_len;

/* Prints "<label> <verdict>" for the call `nr` with these arguments on this arch. */
static void probe(const char *label, uint32_t arch, int nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3) {
  struct seccomp_data d;
  memset(&d, 0, sizeof d);
  d.nr = nr;
  d.arch = arch;
  d.args[0] = a0, d.args[1] = a1, d.args[2] = a2, d.args[3] = a3;
  unsigned steps;
  uint32_t r = run(prog, prog_len, &d, &steps);
  if (steps > longest) longest = steps;
  if (r == SECCOMP_RET_ALLOW) printf("%s allow\n", label);
  else if ((r & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO) printf("%s errno %s\n", label, errno_name(r & SECCOMP_RET_DATA));
  else printf("%s ret 0x%x\n", label, r);
}

static int need(const char *name) {
  int nr = seccomp_nr(name);
  if (nr < 0) die("seccomp-verdicts: the table has no %s", name);
  return nr;
}

int seccomp_verdicts(void) {
  char label[96];
  prog = seccomp_program(&prog_len);
  printf("insns %u\n", prog_len);
  for (int nr = 0; nr < 1024; nr++) {
    snprintf(label, sizeof label, "nr %d", nr);
    probe(label, NATIVE_ARCH, nr, 0, 0, 0, 0);
  }
  printf("longest %u\n", longest); /* over every number */
  /* Another ABI, and on x86_64 the x32 bit, with the number of getpid. */
  int getpid_nr = need("getpid");
  probe("foreign-arch", FOREIGN_ARCH, getpid_nr, 0, 0, 0, 0);
#ifdef __x86_64__
  probe("x32", NATIVE_ARCH, (int)(0x40000000u | (unsigned)getpid_nr), 0, 0, 0, 0);
#endif
  int socket_nr = need("socket"), socketpair_nr = need("socketpair");
  for (int f = 0; f <= 50; f++) {
    snprintf(label, sizeof label, "socket %d", f);
    probe(label, NATIVE_ARCH, socket_nr, (uint64_t)f, SOCK_STREAM, 0, 0);
    snprintf(label, sizeof label, "socketpair %d", f);
    probe(label, NATIVE_ARCH, socketpair_nr, (uint64_t)f, SOCK_STREAM, 0, 0);
  }
  /* The high half of an argument is not what the kernel reads: AF_INET still. */
  probe("socket 0x100000002", NATIVE_ARCH, socket_nr, 0x100000002ull, SOCK_STREAM, 0, 0);
  for (int proto = 0; proto < 32; proto++) {
    snprintf(label, sizeof label, "netlink %d", proto);
    probe(label, NATIVE_ARCH, socket_nr, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, (uint64_t)proto, 0);
  }
  static const uint32_t personas[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff, 0x1, 0x40000, 0x400000, 0x200008, 0xfffffffe};
  for (unsigned i = 0; i < sizeof personas / sizeof *personas; i++) {
    snprintf(label, sizeof label, "personality 0x%x", personas[i]);
    probe(label, NATIVE_ARCH, need("personality"), personas[i], 0, 0, 0);
  }
  static const uint32_t clones[] = {
    0x11 /* SIGCHLD: fork */, CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS
    | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID /* a thread */, CLONE_VM | CLONE_VFORK | 0x11 /* vfork */,
    CLONE_NEWNS | 0x11, CLONE_NEWCGROUP | 0x11, CLONE_NEWUTS | 0x11, CLONE_NEWIPC | 0x11, CLONE_NEWUSER | 0x11,
    CLONE_NEWPID | 0x11, CLONE_NEWNET | 0x11,
  };
  for (unsigned i = 0; i < sizeof clones / sizeof *clones; i++) {
    snprintf(label, sizeof label, "clone 0x%x", clones[i]);
    probe(label, NATIVE_ARCH, need("clone"), clones[i], 0, 0, 0);
  }
  static const uint32_t cmds[] = {TIOCSTI, TIOCLINUX, TCGETS, TIOCGWINSZ, FIONREAD};
  for (unsigned i = 0; i < sizeof cmds / sizeof *cmds; i++) {
    snprintf(label, sizeof label, "ioctl 0x%x", cmds[i]);
    probe(label, NATIVE_ARCH, need("ioctl"), 0, cmds[i], 0, 0);
  }
  /* Every call whose mode the table checks, with the mode in the argument its action names. */
  static const uint32_t modes[] = {0644, 0755, 01777, 04755, 02755, 06000, 0104755};
  for (unsigned i = 0; i < seccomp_ncalls; i++) {
    const struct seccomp_call *c = &seccomp_calls[i];
    if (c->nr < 0 || (c->action != ACT_MODE_ARG1 && c->action != ACT_MODE_ARG2 && c->action != ACT_MODE_ARG3)) continue;
    int arg = 1 + (int)(c->action - ACT_MODE_ARG1);
    for (unsigned m = 0; m < sizeof modes / sizeof *modes; m++) {
      snprintf(label, sizeof label, "mode %s 0%o", c->name, modes[m]);
      uint64_t args[4] = {0, 0, 0, 0};
      args[arg] = modes[m];
      probe(label, NATIVE_ARCH, c->nr, args[0], args[1], args[2], args[3]);
    }
  }
  return fflush(stdout) == 0 ? 0 : SETUP_FAILED;
}
