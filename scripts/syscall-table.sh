#!/usr/bin/env bash
# Rewrites native/syscalls.h, the seccomp filter's table (docs/security-model.md, "Kernel
# backstops"): every system call of x86_64 and aarch64 with its number on each, from the kernel
# headers of this machine, plus the calls newer than those headers (listed below). Each row keeps
# its action (and trailing comment) from the current table; a call the table lacks gets the
# action TODO, which does not compile until someone decides it. A number that changed for a call
# already in the table is an error: numbers never change, so the headers or the list are wrong.
#
# Needs the x86_64 kernel headers (linux-libc-dev) and the aarch64 cross compiler
# (gcc-aarch64-linux-gnu), whose headers hold the asm-generic table aarch64 uses.
set -euo pipefail
cd "$(dirname "$0")/.."
TABLE=native/syscalls.h
X86_HEADER=/usr/include/x86_64-linux-gnu/asm/unistd_64.h
ARM_CC=aarch64-linux-gnu-gcc
fail() { echo "syscall-table: $*" >&2; exit 1; }
[ -r "$X86_HEADER" ] || fail "no $X86_HEADER (apt-get install linux-libc-dev)"
command -v "$ARM_CC" >/dev/null || fail "no $ARM_CC (apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross)"

# Calls newer than the headers this table was first made from (Linux 6.1's). From 451 on, every
# architecture has the same number; uretprobe is x86_64's alone.
NEWER="
cachestat 451 451
fchmodat2 452 452
map_shadow_stack 453 453
futex_wake 454 454
futex_wait 455 455
futex_requeue 456 456
statmount 457 457
listmount 458 458
lsm_get_self_attr 459 459
lsm_set_self_attr 460 460
lsm_list_modules 461 461
mseal 462 462
setxattrat 463 463
getxattrat 464 464
listxattrat 465 465
removexattrat 466 466
open_tree_attr 467 467
uretprobe 335 ABSENT
"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# x86_64: plain "#define __NR_name N" lines.
awk '$1 == "#define" && $2 ~ /^__NR_/ && $3 ~ /^[0-9]+$/ { sub(/^__NR_/, "", $2); print $2, $3 }' "$X86_HEADER" > "$work/x86"
# aarch64: the macros asm/unistd.h defines, each expanded by the preprocessor (some are defined
# through __NR3264_* aliases). __NR_syscalls and __NR_arch_specific_syscall are not calls.
"$ARM_CC" -E -dM -include asm/unistd.h -x c /dev/null |
  awk '$1 == "#define" && $2 ~ /^__NR_/ && $2 != "__NR_syscalls" && $2 != "__NR_arch_specific_syscall" { print $2 }' > "$work/arm-macros"
{ echo '#include <asm/unistd.h>'; awk '{ n = $1; sub(/^__NR_/, "", n); print "@" n, $1 }' "$work/arm-macros"; } |
  "$ARM_CC" -E -P -x c - | awk '/^@/ { sub(/^@/, ""); print }' > "$work/arm"
awk 'NF != 2 || $2 !~ /^[0-9]+$/ { print "syscall-table: cannot read the aarch64 number of " $0 > "/dev/stderr"; exit 1 }' "$work/arm"
[ "$(wc -l < "$work/x86")" -gt 300 ] && [ "$(wc -l < "$work/arm")" -gt 250 ] || fail "too few calls in the headers"
echo "$NEWER" | awk 'NF == 3' > "$work/newer"

# The current table's rows: name action comment.
if [ -f "$TABLE" ]; then
  sed -n 's/^SYSCALL(\([a-z0-9_]*\), *\([A-Z0-9-]*\), *\([A-Z0-9-]*\), *\([A-Z0-9_]*\))\(.*\)$/\1 \2 \3 \4\5/p' "$TABLE" > "$work/old"
else
  : > "$work/old"
fi

# Merge: a number from the headers and one from NEWER must agree; the old row's number too.
awk -v work="$work" '
  function bad(msg) { print "syscall-table: " msg > "/dev/stderr"; failed = 1 }
  function put(arch, name, nr) {
    if (nr == "ABSENT") { seen[name] = 1; return }
    if ((name, arch) in num && num[name, arch] != nr) bad(name " is " num[name, arch] " and " nr " on " arch)
    num[name, arch] = nr; seen[name] = 1
  }
  FILENAME == (work "/x86") { put("x86", $1, $2); next }
  FILENAME == (work "/arm") { put("arm", $1, $2); next }
  FILENAME == (work "/newer") { put("x86", $1, $2); put("arm", $1, $3); next }
  FILENAME == (work "/old") {
    name = $1; action[name] = $4
    rest = $0; sub(/^[^ ]+ [^ ]+ [^ ]+ [^ ]+/, "", rest); comment[name] = rest
    oldx[name] = $2; olda[name] = $3
    next
  }
  END {
    for (name in seen) {
      x = (name, "x86") in num ? num[name, "x86"] : "ABSENT"
      a = (name, "arm") in num ? num[name, "arm"] : "ABSENT"
      if (name in action && (oldx[name] != x || olda[name] != a)) bad(name " was " oldx[name] "/" olda[name] ", the headers say " x "/" a)
      act = name in action ? action[name] : "TODO"
      if (act == "TODO") print "syscall-table: new call " name " (" x "/" a "): decide its action" > "/dev/stderr"
      # sort key: x86_64 number, then the calls only aarch64 has by theirs
      key = x != "ABSENT" ? x : 10000 + a
      printf "%05d SYSCALL(%s, %s, %s, %s)%s\n", key, name, x, a, act, comment[name]
    }
    for (name in action) if (!(name in seen)) bad(name " is in the table but in no header: remove it or add it to NEWER")
    if (failed) exit 1
  }
' "$work/x86" "$work/arm" "$work/newer" "$work/old" | sort | cut -c7- > "$work/rows"

{
  cat <<'EOF'
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
EOF
  cat "$work/rows"
} > "$work/table"
mv "$work/table" "$TABLE"
echo "syscall-table: wrote $TABLE ($(wc -l < "$work/rows") calls)" >&2
