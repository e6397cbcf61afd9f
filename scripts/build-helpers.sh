#!/usr/bin/env bash
# The static helpers the package ships, dist/native/linux-ARCH/sandbox-init (ARCH as Node's
# process.arch names it), each built by Debian's compiler for that machine. A missing compiler
# skips its target with a note: a development build does without them, `npm pack` refuses to
# (scripts/check-pack.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
declare -A TRIPLE=([x64]=x86_64-linux-gnu [arm64]=aarch64-linux-gnu)
# What provides the compiler where it is not the host's own gcc.
declare -A DEBIAN=([x64]="gcc-x86-64-linux-gnu libc6-dev-amd64-cross" [arm64]="gcc-aarch64-linux-gnu libc6-dev-arm64-cross")
build() { # arch compiler out
  # Stripped: the published copy needs no symbols.
  if ! "$2" -O2 -Wall -Wextra -Werror -static -s -o "$3" native/*.c; then
    echo "build: $2 could not link a static $3 (apt-get install ${DEBIAN[$1]})" >&2
    return 1
  fi
}
pids=()
for arch in x64 arm64; do
  cc="${TRIPLE[$arch]}-gcc"
  out="dist/native/linux-$arch/sandbox-init"
  if ! command -v "$cc" >/dev/null 2>&1; then
    echo "build: skipped $out: no $cc (apt-get install ${DEBIAN[$arch]}); npm pack needs it" >&2
    continue
  fi
  mkdir -p "$(dirname "$out")"
  build "$arch" "$cc" "$out" & # the two in parallel: a second each
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
