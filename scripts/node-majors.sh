#!/usr/bin/env bash
# Runs the core suites (policy, proxy, relay, run, containment, CLI, and the check of the Node
# internals we rely on) under each Node major that package.json's `engines` promises besides the
# one already used for the full run. A missing major comes from the npm registry's
# node-linux-<arch> package (the binary is inside): the package is cached in
# ~/.cache/temporal-sandbox/node/, and its binary unpacked into node_modules/.node-majors/, inside
# the checkout, where the tests' unprivileged users can run it too (a home directory is closed).
# Usage: scripts/node-majors.sh [MAJOR...]   (default: 22 24)
set -euo pipefail
cd "$(dirname "$0")/.."

majors=("$@")
[ ${#majors[@]} -gt 0 ] || majors=(22 24)
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) echo "node-majors: no node-linux package for $(uname -m)" >&2; exit 1 ;;
esac
cache="${XDG_CACHE_HOME:-$HOME/.cache}/temporal-sandbox/node"
unpacked=node_modules/.node-majors
suites=(dist/test/policy dist/test/proxy dist/test/relay dist/test/run dist/test/containment dist/test/cli dist/test/repo/node-internals)

# Prints the directory whose bin/node is Node $1, fetching its package once.
node_for() {
  local major=$1 dir="$unpacked/$1"
  if [ ! -x "$dir/bin/node" ]; then
    local tgz
    tgz=$(ls "$cache"/node-linux-"$arch"-"$major".*.tgz 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$tgz" ]; then
      echo "node-majors: fetching node-linux-$arch@$major from the npm registry" >&2
      mkdir -p "$cache"
      tgz="$cache/$(cd "$cache" && npm pack --silent "node-linux-$arch@$major" | tail -n 1)"
    fi
    rm -rf "$dir"
    mkdir -p "$dir/bin"
    tar -xzf "$tgz" -C "$dir" --strip-components=1 package/bin/node
    chmod -R a+rX "$dir"
  fi
  echo "$PWD/$dir"
}

for major in "${majors[@]}"; do
  dir=$(node_for "$major")
  echo "node-majors: core suites under Node $("$dir/bin/node" --version)" >&2
  PATH="$dir/bin:$PATH" "$dir/bin/node" node_modules/.bin/jest --selectProjects core -- "${suites[@]}"
done
