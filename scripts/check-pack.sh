#!/usr/bin/env bash
# prepack: refuses to pack a package that would not run where it says it does: no build, or a
# prebuilt helper missing, for the wrong machine, or not static (it runs in views that hold no
# C library of its own). readelf reads any architecture's ELF.
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "pack: $*" >&2; exit 1; }
[ -f dist/sandbox/index.js ] || fail "no build: run npm run build first"
declare -A MACHINE=([x64]="Advanced Micro Devices X86-64" [arm64]="AArch64")
for arch in x64 arm64; do
  f="dist/native/linux-$arch/sandbox-init"
  [ -x "$f" ] || fail "$f is missing: npm run build with the compiler for linux $arch (scripts/build-helpers.sh names it)"
  machine=$(readelf -h "$f" | sed -n 's/^ *Machine: *//p')
  [ "$machine" = "${MACHINE[$arch]}" ] || fail "$f is for $machine, not linux $arch"
  if readelf -lW "$f" | grep -q '^ *INTERP '; then fail "$f is dynamically linked"; fi
done
