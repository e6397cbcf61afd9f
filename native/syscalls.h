/* The system calls the seccomp filter knows (native/seccomp.c; docs/security-model.md, "Kernel
 * backstops"): one row per call, SYSCALL(name, x86_64 number, aarch64 number, action). ABSENT: the
 * architecture has no such call. A number no row names gets ENOSYS, as on a kernel without it.
 *
 * Made by scripts/syscall-table.sh from the kernel headers (x86_64's asm/unistd_64.h; aarch64's
 * asm/unistd.h, the asm-generic table) plus the newer calls it lists, 451 to 467 and uretprobe.
 * Run it again to add the calls of newer headers: it keeps each row's action and comment, and
 * gives a new call the action TODO, which does not compile until decided here.
 *
 * Actions (what the call gets; argument checks read the low 32 bits, which the kernel reads):
 *   ALLOW             always
 *   EPERM             never: refused, as Docker's default profile refuses it to a process
 *                     without capabilities or as this sandbox refuses it outright
 *   ENOSYS            never, answered as a kernel without the call, for callers to fall back
 *   MODE_ARG1..3      EPERM when the mode in that argument has S_ISUID or S_ISGID, else allowed
 *   CLONE_FLAGS       EPERM with any namespace flag in argument 0, else allowed
 *   IOCTL_CMD         EPERM for TIOCSTI and TIOCLINUX (terminal input injection), else allowed
 *   SOCKET_FAMILY     AF_UNIX, AF_INET, AF_INET6, and AF_NETLINK with NETLINK_ROUTE; any other
 *                     family EAFNOSUPPORT, another netlink protocol EPROTONOSUPPORT
 *   SOCKETPAIR_FAMILY AF_UNIX only, else EAFNOSUPPORT
 *   PERSONA           personality 0, PER_LINUX32 (8), UNAME26 (0x20000), both (0x20008) and the
 *                     query 0xffffffff, as Docker allows; else EPERM
 * The test test/containment/seccomp-table.test.ts reads this file and compares the filter's
 * answer for every number with it.
 */
SYSCALL(read, 0, 63, ALLOW)
SYSCALL(write, 1, 64, ALLOW)
SYSCALL(open, 2, ABSENT, MODE_ARG2)
SYSCALL(close, 3, 57, ALLOW)
SYSCALL(stat, 4, ABSENT, ALLOW)
SYSCALL(fstat, 5, 80, ALLOW)
SYSCALL(lstat, 6, ABSENT, ALLOW)
SYSCALL(poll, 7, ABSENT, ALLOW)
SYSCALL(lseek, 8, 62, ALLOW)
SYSCALL(mmap, 9, 222, ALLOW)
SYSCALL(mprotect, 10, 226, ALLOW)
SYSCALL(munmap, 11, 215, ALLOW)
SYSCALL(brk, 12, 214, ALLOW)
SYSCALL(rt_sigaction, 13, 134, ALLOW)
SYSCALL(rt_sigprocmask, 14, 135, ALLOW)
SYSCALL(rt_sigreturn, 15, 139, ALLOW)
SYSCALL(ioctl, 16, 29, IOCTL_CMD)
SYSCALL(pread64, 17, 67, ALLOW)
SYSCALL(pwrite64, 18, 68, ALLOW)
SYSCALL(readv, 19, 65, ALLOW)
SYSCALL(writev, 20, 66, ALLOW)
SYSCALL(access, 21, ABSENT, ALLOW)
SYSCALL(pipe, 22, ABSENT, ALLOW)
SYSCALL(select, 23, ABSENT, ALLOW)
SYSCALL(sched_yield, 24, 124, ALLOW)
SYSCALL(mremap, 25, 216, ALLOW)
SYSCALL(msync, 26, 227, ALLOW)
SYSCALL(mincore, 27, 232, ALLOW)
SYSCALL(madvise, 28, 233, ALLOW)
SYSCALL(shmget, 29, 194, ALLOW)
SYSCALL(shmat, 30, 196, ALLOW)
SYSCALL(shmctl, 31, 195, ALLOW)
SYSCALL(dup, 32, 23, ALLOW)
SYSCALL(dup2, 33, ABSENT, ALLOW)
SYSCALL(pause, 34, ABSENT, ALLOW)
SYSCALL(nanosleep, 35, 101, ALLOW)
SYSCALL(getitimer, 36, 102, ALLOW)
SYSCALL(alarm, 37, ABSENT, ALLOW)
SYSCALL(setitimer, 38, 103, ALLOW)
SYSCALL(getpid, 39, 172, ALLOW)
SYSCALL(sendfile, 40, 71, ALLOW)
SYSCALL(socket, 41, 198, SOCKET_FAMILY)
SYSCALL(connect, 42, 203, ALLOW)
SYSCALL(accept, 43, 202, ALLOW)
SYSCALL(sendto, 44, 206, ALLOW)
SYSCALL(recvfrom, 45, 207, ALLOW)
SYSCALL(sendmsg, 46, 211, ALLOW)
SYSCALL(recvmsg, 47, 212, ALLOW)
SYSCALL(shutdown, 48, 210, ALLOW)
SYSCALL(bind, 49, 200, ALLOW)
SYSCALL(listen, 50, 201, ALLOW)
SYSCALL(getsockname, 51, 204, ALLOW)
SYSCALL(getpeername, 52, 205, ALLOW)
SYSCALL(socketpair, 53, 199, SOCKETPAIR_FAMILY)
SYSCALL(setsockopt, 54, 208, ALLOW)
SYSCALL(getsockopt, 55, 209, ALLOW)
SYSCALL(clone, 56, 220, CLONE_FLAGS)
SYSCALL(fork, 57, ABSENT, ALLOW)
SYSCALL(vfork, 58, ABSENT, ALLOW)
SYSCALL(execve, 59, 221, ALLOW)
SYSCALL(exit, 60, 93, ALLOW)
SYSCALL(wait4, 61, 260, ALLOW)
SYSCALL(kill, 62, 129, ALLOW)
SYSCALL(uname, 63, 160, ALLOW)
SYSCALL(semget, 64, 190, ALLOW)
SYSCALL(semop, 65, 193, ALLOW)
SYSCALL(semctl, 66, 191, ALLOW)
SYSCALL(shmdt, 67, 197, ALLOW)
SYSCALL(msgget, 68, 186, ALLOW)
SYSCALL(msgsnd, 69, 189, ALLOW)
SYSCALL(msgrcv, 70, 188, ALLOW)
SYSCALL(msgctl, 71, 187, ALLOW)
SYSCALL(fcntl, 72, 25, ALLOW)
SYSCALL(flock, 73, 32, ALLOW)
SYSCALL(fsync, 74, 82, ALLOW)
SYSCALL(fdatasync, 75, 83, ALLOW)
SYSCALL(truncate, 76, 45, ALLOW)
SYSCALL(ftruncate, 77, 46, ALLOW)
SYSCALL(getdents, 78, ABSENT, ALLOW)
SYSCALL(getcwd, 79, 17, ALLOW)
SYSCALL(chdir, 80, 49, ALLOW)
SYSCALL(fchdir, 81, 50, ALLOW)
SYSCALL(rename, 82, ABSENT, ALLOW)
SYSCALL(mkdir, 83, ABSENT, ALLOW)
SYSCALL(rmdir, 84, ABSENT, ALLOW)
SYSCALL(creat, 85, ABSENT, MODE_ARG1)
SYSCALL(link, 86, ABSENT, ALLOW)
SYSCALL(unlink, 87, ABSENT, ALLOW)
SYSCALL(symlink, 88, ABSENT, ALLOW)
SYSCALL(readlink, 89, ABSENT, ALLOW)
SYSCALL(chmod, 90, ABSENT, MODE_ARG1)
SYSCALL(fchmod, 91, 52, MODE_ARG1)
SYSCALL(chown, 92, ABSENT, ALLOW)
SYSCALL(fchown, 93, 55, ALLOW)
SYSCALL(lchown, 94, ABSENT, ALLOW)
SYSCALL(umask, 95, 166, ALLOW)
SYSCALL(gettimeofday, 96, 169, ALLOW)
SYSCALL(getrlimit, 97, 163, ALLOW)
SYSCALL(getrusage, 98, 165, ALLOW)
SYSCALL(sysinfo, 99, 179, ALLOW)
SYSCALL(times, 100, 153, ALLOW)
SYSCALL(ptrace, 101, 117, ALLOW) /* the PID namespace holds only the run; PID 1 is not dumpable */
SYSCALL(getuid, 102, 174, ALLOW)
SYSCALL(syslog, 103, 116, EPERM) /* needs a capability */
SYSCALL(getgid, 104, 176, ALLOW)
SYSCALL(setuid, 105, 146, ALLOW)
SYSCALL(setgid, 106, 144, ALLOW)
SYSCALL(geteuid, 107, 175, ALLOW)
SYSCALL(getegid, 108, 177, ALLOW)
SYSCALL(setpgid, 109, 154, ALLOW)
SYSCALL(getppid, 110, 173, ALLOW)
SYSCALL(getpgrp, 111, ABSENT, ALLOW)
SYSCALL(setsid, 112, 157, ALLOW)
SYSCALL(setreuid, 113, 145, ALLOW)
SYSCALL(setregid, 114, 143, ALLOW)
SYSCALL(getgroups, 115, 158, ALLOW)
SYSCALL(setgroups, 116, 159, ALLOW)
SYSCALL(setresuid, 117, 147, ALLOW)
SYSCALL(getresuid, 118, 148, ALLOW)
SYSCALL(setresgid, 119, 149, ALLOW)
SYSCALL(getresgid, 120, 150, ALLOW)
SYSCALL(getpgid, 121, 155, ALLOW)
SYSCALL(setfsuid, 122, 151, ALLOW)
SYSCALL(setfsgid, 123, 152, ALLOW)
SYSCALL(getsid, 124, 156, ALLOW)
SYSCALL(capget, 125, 90, ALLOW)
SYSCALL(capset, 126, 91, ALLOW)
SYSCALL(rt_sigpending, 127, 136, ALLOW)
SYSCALL(rt_sigtimedwait, 128, 137, ALLOW)
SYSCALL(rt_sigqueueinfo, 129, 138, ALLOW)
SYSCALL(rt_sigsuspend, 130, 133, ALLOW)
SYSCALL(sigaltstack, 131, 132, ALLOW)
SYSCALL(utime, 132, ABSENT, ALLOW)
SYSCALL(mknod, 133, ABSENT, MODE_ARG1)
SYSCALL(uselib, 134, ABSENT, EPERM) /* a.out libraries: obsolete */
SYSCALL(personality, 135, 92, PERSONA)
SYSCALL(ustat, 136, ABSENT, EPERM) /* obsolete; Docker refuses */
SYSCALL(statfs, 137, 43, ALLOW)
SYSCALL(fstatfs, 138, 44, ALLOW)
SYSCALL(sysfs, 139, ABSENT, EPERM) /* obsolete; Docker refuses */
SYSCALL(getpriority, 140, 141, ALLOW)
SYSCALL(setpriority, 141, 140, ALLOW)
SYSCALL(sched_setparam, 142, 118, ALLOW)
SYSCALL(sched_getparam, 143, 121, ALLOW)
SYSCALL(sched_setscheduler, 144, 119, ALLOW)
SYSCALL(sched_getscheduler, 145, 120, ALLOW)
SYSCALL(sched_get_priority_max, 146, 125, ALLOW)
SYSCALL(sched_get_priority_min, 147, 126, ALLOW)
SYSCALL(sched_rr_get_interval, 148, 127, ALLOW)
SYSCALL(mlock, 149, 228, ALLOW)
SYSCALL(munlock, 150, 229, ALLOW)
SYSCALL(mlockall, 151, 230, ALLOW)
SYSCALL(munlockall, 152, 231, ALLOW)
SYSCALL(vhangup, 153, 58, EPERM) /* needs a capability */
SYSCALL(modify_ldt, 154, ABSENT, ALLOW)
SYSCALL(pivot_root, 155, 41, EPERM) /* mounts and roots */
SYSCALL(_sysctl, 156, ABSENT, ENOSYS) /* removed from the kernel or never implemented */
SYSCALL(prctl, 157, 167, ALLOW)
SYSCALL(arch_prctl, 158, ABSENT, ALLOW)
SYSCALL(adjtimex, 159, 171, ALLOW)
SYSCALL(setrlimit, 160, 164, ALLOW)
SYSCALL(chroot, 161, 51, EPERM) /* mounts and roots */
SYSCALL(sync, 162, 81, ALLOW)
SYSCALL(acct, 163, 89, EPERM) /* needs a capability */
SYSCALL(settimeofday, 164, 170, EPERM) /* needs CAP_SYS_TIME */
SYSCALL(mount, 165, 40, EPERM) /* mounts and roots */
SYSCALL(umount2, 166, 39, EPERM) /* mounts and roots */
SYSCALL(swapon, 167, 224, EPERM) /* needs a capability */
SYSCALL(swapoff, 168, 225, EPERM) /* needs a capability */
SYSCALL(reboot, 169, 142, EPERM) /* needs a capability */
SYSCALL(sethostname, 170, 161, EPERM) /* Docker needs CAP_SYS_ADMIN */
SYSCALL(setdomainname, 171, 162, EPERM) /* Docker needs CAP_SYS_ADMIN */
SYSCALL(iopl, 172, ABSENT, EPERM) /* needs a capability */
SYSCALL(ioperm, 173, ABSENT, EPERM) /* needs a capability */
SYSCALL(create_module, 174, ABSENT, ENOSYS) /* removed from the kernel or never implemented */
SYSCALL(init_module, 175, 105, EPERM) /* needs a capability */
SYSCALL(delete_module, 176, 106, EPERM) /* needs a capability */
SYSCALL(get_kernel_syms, 177, ABSENT, ENOSYS) /* removed from the kernel or never implemented */
SYSCALL(query_module, 178, ABSENT, ENOSYS) /* removed from the kernel or never implemented */
SYSCALL(quotactl, 179, 60, EPERM) /* needs a capability */
SYSCALL(nfsservctl, 180, 42, ENOSYS) /* removed from the kernel or never implemented */
SYSCALL(getpmsg, 181, ABSENT, ENOSYS) /* removed from the kernel or never implemented */
SYSCALL(putpmsg, 182, ABSENT, ENOSYS) /* removed from the kernel or never implemented */
SYSCALL(afs_syscall, 183, ABSENT, ENOSYS) /* removed from the kernel or never implemented */
SYSCALL(tuxcall, 184, ABSENT, ENOSYS) /* removed from the kernel or never implemented */
SYSCALL(security, 185, ABSENT, ENOSYS) /* removed from the kernel or never implemented */
SYSCALL(gettid, 186, 178, ALLOW)
SYSCALL(readahead, 187, 213, ALLOW)
SYSCALL(setxattr, 188, 5, ALLOW)
SYSCALL(lsetxattr, 189, 6, ALLOW)
SYSCALL(fsetxattr, 190, 7, ALLOW)
SYSCALL(getxattr, 191, 8, ALLOW)
SYSCALL(lgetxattr, 192, 9, ALLOW)
SYSCALL(fgetxattr, 193, 10, ALLOW)
SYSCALL(listxattr, 194, 11, ALLOW)
SYSCALL(llistxattr, 195, 12, ALLOW)
SYSCALL(flistxattr, 196, 13, ALLOW)
SYSCALL(removexattr, 197, 14, ALLOW)
SYSCALL(lremovexattr, 198, 15, ALLOW)
SYSCALL(fremovexattr, 199, 16, ALLOW)
SYSCALL(tkill, 200, 130, ALLOW)
SYSCALL(time, 201, ABSENT, ALLOW)
SYSCALL(futex, 202, 98, ALLOW)
SYSCALL(sched_setaffinity, 203, 122, ALLOW)
SYSCALL(sched_getaffinity, 204, 123, ALLOW)
SYSCALL(set_thread_area, 205, ABSENT, ALLOW)
SYSCALL(io_setup, 206, 0, ALLOW)
SYSCALL(io_destroy, 207, 1, ALLOW)
SYSCALL(io_getevents, 208, 4, ALLOW)
SYSCALL(io_submit, 209, 2, ALLOW)
SYSCALL(io_cancel, 210, 3, ALLOW)
SYSCALL(get_thread_area, 211, ABSENT, ALLOW)
SYSCALL(lookup_dcookie, 212, 18, EPERM) /* needs a capability */
SYSCALL(epoll_create, 213, ABSENT, ALLOW)
SYSCALL(epoll_ctl_old, 214, ABSENT, ALLOW)
SYSCALL(epoll_wait_old, 215, ABSENT, ALLOW)
SYSCALL(remap_file_pages, 216, 234, ALLOW)
SYSCALL(getdents64, 217, 61, ALLOW)
SYSCALL(set_tid_address, 218, 96, ALLOW)
SYSCALL(restart_syscall, 219, 128, ALLOW)
SYSCALL(semtimedop, 220, 192, ALLOW)
SYSCALL(fadvise64, 221, 223, ALLOW)
SYSCALL(timer_create, 222, 107, ALLOW)
SYSCALL(timer_settime, 223, 110, ALLOW)
SYSCALL(timer_gettime, 224, 108, ALLOW)
SYSCALL(timer_getoverrun, 225, 109, ALLOW)
SYSCALL(timer_delete, 226, 111, ALLOW)
SYSCALL(clock_settime, 227, 112, EPERM) /* needs CAP_SYS_TIME */
SYSCALL(clock_gettime, 228, 113, ALLOW)
SYSCALL(clock_getres, 229, 114, ALLOW)
SYSCALL(clock_nanosleep, 230, 115, ALLOW)
SYSCALL(exit_group, 231, 94, ALLOW)
SYSCALL(epoll_wait, 232, ABSENT, ALLOW)
SYSCALL(epoll_ctl, 233, 21, ALLOW)
SYSCALL(tgkill, 234, 131, ALLOW)
SYSCALL(utimes, 235, ABSENT, ALLOW)
SYSCALL(vserver, 236, ABSENT, ENOSYS) /* removed from the kernel or never implemented */
SYSCALL(mbind, 237, 235, EPERM) /* NUMA policy; Docker needs CAP_SYS_NICE */
SYSCALL(set_mempolicy, 238, 237, EPERM) /* NUMA policy; Docker needs CAP_SYS_NICE */
SYSCALL(get_mempolicy, 239, 236, EPERM) /* NUMA policy; Docker needs CAP_SYS_NICE */
SYSCALL(mq_open, 240, 180, ALLOW)
SYSCALL(mq_unlink, 241, 181, ALLOW)
SYSCALL(mq_timedsend, 242, 182, ALLOW)
SYSCALL(mq_timedreceive, 243, 183, ALLOW)
SYSCALL(mq_notify, 244, 184, ALLOW)
SYSCALL(mq_getsetattr, 245, 185, ALLOW)
SYSCALL(kexec_load, 246, 104, EPERM) /* needs a capability */
SYSCALL(waitid, 247, 95, ALLOW)
SYSCALL(add_key, 248, 217, EPERM) /* kernel attack surface */
SYSCALL(request_key, 249, 218, EPERM) /* kernel attack surface */
SYSCALL(keyctl, 250, 219, EPERM) /* kernel attack surface */
SYSCALL(ioprio_set, 251, 30, ALLOW)
SYSCALL(ioprio_get, 252, 31, ALLOW)
SYSCALL(inotify_init, 253, ABSENT, ALLOW)
SYSCALL(inotify_add_watch, 254, 27, ALLOW)
SYSCALL(inotify_rm_watch, 255, 28, ALLOW)
SYSCALL(migrate_pages, 256, 238, EPERM) /* NUMA placement; Docker refuses */
SYSCALL(openat, 257, 56, MODE_ARG3)
SYSCALL(mkdirat, 258, 34, ALLOW)
SYSCALL(mknodat, 259, 33, MODE_ARG2)
SYSCALL(fchownat, 260, 54, ALLOW)
SYSCALL(futimesat, 261, ABSENT, ALLOW)
SYSCALL(newfstatat, 262, 79, ALLOW)
SYSCALL(unlinkat, 263, 35, ALLOW)
SYSCALL(renameat, 264, 38, ALLOW)
SYSCALL(linkat, 265, 37, ALLOW)
SYSCALL(symlinkat, 266, 36, ALLOW)
SYSCALL(readlinkat, 267, 78, ALLOW)
SYSCALL(fchmodat, 268, 53, MODE_ARG2)
SYSCALL(faccessat, 269, 48, ALLOW)
SYSCALL(pselect6, 270, 72, ALLOW)
SYSCALL(ppoll, 271, 73, ALLOW)
SYSCALL(unshare, 272, 97, EPERM) /* namespaces; Docker needs CAP_SYS_ADMIN */
SYSCALL(set_robust_list, 273, 99, ALLOW)
SYSCALL(get_robust_list, 274, 100, ALLOW)
SYSCALL(splice, 275, 76, ALLOW)
SYSCALL(tee, 276, 77, ALLOW)
SYSCALL(sync_file_range, 277, 84, ALLOW)
SYSCALL(vmsplice, 278, 75, ALLOW)
SYSCALL(move_pages, 279, 239, EPERM) /* NUMA placement; Docker refuses */
SYSCALL(utimensat, 280, 88, ALLOW)
SYSCALL(epoll_pwait, 281, 22, ALLOW)
SYSCALL(signalfd, 282, ABSENT, ALLOW)
SYSCALL(timerfd_create, 283, 85, ALLOW)
SYSCALL(eventfd, 284, ABSENT, ALLOW)
SYSCALL(fallocate, 285, 47, ALLOW)
SYSCALL(timerfd_settime, 286, 86, ALLOW)
SYSCALL(timerfd_gettime, 287, 87, ALLOW)
SYSCALL(accept4, 288, 242, ALLOW)
SYSCALL(signalfd4, 289, 74, ALLOW)
SYSCALL(eventfd2, 290, 19, ALLOW)
SYSCALL(epoll_create1, 291, 20, ALLOW)
SYSCALL(dup3, 292, 24, ALLOW)
SYSCALL(pipe2, 293, 59, ALLOW)
SYSCALL(inotify_init1, 294, 26, ALLOW)
SYSCALL(preadv, 295, 69, ALLOW)
SYSCALL(pwritev, 296, 70, ALLOW)
SYSCALL(rt_tgsigqueueinfo, 297, 240, ALLOW)
SYSCALL(perf_event_open, 298, 241, EPERM) /* kernel attack surface */
SYSCALL(recvmmsg, 299, 243, ALLOW)
SYSCALL(fanotify_init, 300, 262, EPERM) /* a side channel on the shared read-only /etc and /usr */
SYSCALL(fanotify_mark, 301, 263, ALLOW)
SYSCALL(prlimit64, 302, 261, ALLOW)
SYSCALL(name_to_handle_at, 303, 264, ALLOW)
SYSCALL(open_by_handle_at, 304, 265, EPERM) /* needs a capability */
SYSCALL(clock_adjtime, 305, 266, ALLOW)
SYSCALL(syncfs, 306, 267, ALLOW)
SYSCALL(sendmmsg, 307, 269, ALLOW)
SYSCALL(setns, 308, 268, EPERM) /* namespaces; Docker needs CAP_SYS_ADMIN */
SYSCALL(getcpu, 309, 168, ALLOW)
SYSCALL(process_vm_readv, 310, 270, ALLOW)
SYSCALL(process_vm_writev, 311, 271, ALLOW)
SYSCALL(kcmp, 312, 272, EPERM) /* Docker needs CAP_SYS_PTRACE */
SYSCALL(finit_module, 313, 273, EPERM) /* needs a capability */
SYSCALL(sched_setattr, 314, 274, ALLOW)
SYSCALL(sched_getattr, 315, 275, ALLOW)
SYSCALL(renameat2, 316, 276, ALLOW)
SYSCALL(seccomp, 317, 277, ALLOW)
SYSCALL(getrandom, 318, 278, ALLOW)
SYSCALL(memfd_create, 319, 279, ALLOW)
SYSCALL(kexec_file_load, 320, 294, EPERM) /* needs a capability */
SYSCALL(bpf, 321, 280, EPERM) /* kernel attack surface */
SYSCALL(execveat, 322, 281, ALLOW)
SYSCALL(userfaultfd, 323, 282, EPERM) /* kernel attack surface */
SYSCALL(membarrier, 324, 283, ALLOW)
SYSCALL(mlock2, 325, 284, ALLOW)
SYSCALL(copy_file_range, 326, 285, ALLOW)
SYSCALL(preadv2, 327, 286, ALLOW)
SYSCALL(pwritev2, 328, 287, ALLOW)
SYSCALL(pkey_mprotect, 329, 288, ALLOW)
SYSCALL(pkey_alloc, 330, 289, ALLOW)
SYSCALL(pkey_free, 331, 290, ALLOW)
SYSCALL(statx, 332, 291, ALLOW)
SYSCALL(io_pgetevents, 333, 292, ALLOW)
SYSCALL(rseq, 334, 293, ALLOW)
SYSCALL(uretprobe, 335, ABSENT, ALLOW) /* not in the headers: x86_64 only, Linux 6.11; Docker allows it */
SYSCALL(pidfd_send_signal, 424, 424, ALLOW)
SYSCALL(io_uring_setup, 425, 425, ENOSYS) /* libuv and others fall back */
SYSCALL(io_uring_enter, 426, 426, ENOSYS) /* libuv and others fall back */
SYSCALL(io_uring_register, 427, 427, ENOSYS) /* libuv and others fall back */
SYSCALL(open_tree, 428, 428, EPERM) /* mounts and roots */
SYSCALL(move_mount, 429, 429, EPERM) /* mounts and roots */
SYSCALL(fsopen, 430, 430, EPERM) /* mounts and roots */
SYSCALL(fsconfig, 431, 431, EPERM) /* mounts and roots */
SYSCALL(fsmount, 432, 432, EPERM) /* mounts and roots */
SYSCALL(fspick, 433, 433, EPERM) /* mounts and roots */
SYSCALL(pidfd_open, 434, 434, ALLOW)
SYSCALL(clone3, 435, 435, ENOSYS) /* libc falls back to clone, whose flags the filter reads */
SYSCALL(close_range, 436, 436, ALLOW)
SYSCALL(openat2, 437, 437, ENOSYS) /* its mode is behind a pointer; libc falls back to openat */
SYSCALL(pidfd_getfd, 438, 438, EPERM) /* Docker needs CAP_SYS_PTRACE */
SYSCALL(faccessat2, 439, 439, ALLOW)
SYSCALL(process_madvise, 440, 440, EPERM) /* Docker needs CAP_SYS_PTRACE */
SYSCALL(epoll_pwait2, 441, 441, ALLOW)
SYSCALL(mount_setattr, 442, 442, EPERM) /* mounts and roots */
SYSCALL(quotactl_fd, 443, 443, EPERM) /* needs a capability */
SYSCALL(landlock_create_ruleset, 444, 444, ALLOW)
SYSCALL(landlock_add_rule, 445, 445, ALLOW)
SYSCALL(landlock_restrict_self, 446, 446, ALLOW)
SYSCALL(memfd_secret, 447, 447, ALLOW)
SYSCALL(process_mrelease, 448, 448, ALLOW)
SYSCALL(futex_waitv, 449, 449, ALLOW)
SYSCALL(set_mempolicy_home_node, 450, 450, EPERM) /* NUMA policy; Docker needs CAP_SYS_NICE */
SYSCALL(cachestat, 451, 451, ALLOW)
SYSCALL(fchmodat2, 452, 452, MODE_ARG2)
SYSCALL(map_shadow_stack, 453, 453, ALLOW)
SYSCALL(futex_wake, 454, 454, ALLOW)
SYSCALL(futex_wait, 455, 455, ALLOW)
SYSCALL(futex_requeue, 456, 456, ALLOW)
SYSCALL(statmount, 457, 457, ALLOW)
SYSCALL(listmount, 458, 458, ALLOW)
SYSCALL(lsm_get_self_attr, 459, 459, EPERM) /* Docker needs CAP_SYS_ADMIN */
SYSCALL(lsm_set_self_attr, 460, 460, EPERM) /* Docker needs CAP_SYS_ADMIN */
SYSCALL(lsm_list_modules, 461, 461, EPERM) /* Docker needs CAP_SYS_ADMIN */
SYSCALL(mseal, 462, 462, ALLOW)
SYSCALL(setxattrat, 463, 463, ALLOW)
SYSCALL(getxattrat, 464, 464, ALLOW)
SYSCALL(listxattrat, 465, 465, ALLOW)
SYSCALL(removexattrat, 466, 466, ALLOW)
SYSCALL(open_tree_attr, 467, 467, EPERM) /* mounts and roots */
