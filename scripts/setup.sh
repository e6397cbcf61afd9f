#!/usr/bin/env bash
# Brings a fresh Linux machine to the point where the tests and the demo run: system packages
# (installed when run as root, otherwise named), npm dependencies, and the build.
# Idempotent and quiet when there is nothing to do.
set -euo pipefail
cd "$(dirname "$0")/.."

# program -> Debian package
declare -A PACKAGES=(
  [bwrap]=bubblewrap [unshare]=util-linux [setpriv]=util-linux [nsenter]=util-linux [curl]=curl
  [cc]=gcc [openssl]=openssl [socat]=socat [git]=git
  # real non-HTTP servers and clients for the transparent-capture tests
  [redis-server]=redis-server [redis-cli]=redis-tools
)
# The package ships a static helper for each of linux x64 and arm64 (scripts/build-helpers.sh): the
# other machine's is built with Debian's cross compiler and, in CI, run under qemu to check it.
case "$(uname -m)" in
  x86_64) cross=(aarch64 aarch64-linux-gnu gcc-aarch64-linux-gnu libc6-dev-arm64-cross) ;;
  aarch64) cross=(x86_64 x86_64-linux-gnu gcc-x86-64-linux-gnu libc6-dev-amd64-cross) ;;
  *) cross=() ;;
esac
if [ ${#cross[@]} -gt 0 ]; then
  PACKAGES[${cross[1]}-gcc]=${cross[2]}
  if [ -n "${CI:-}" ]; then PACKAGES[qemu-${cross[0]}-static]=qemu-user-static; fi
fi
missing=()
for program in "${!PACKAGES[@]}"; do
  command -v "$program" >/dev/null 2>&1 || missing+=("${PACKAGES[$program]}")
done
# Inside a run's view the system's python is the one that runs (a pyenv or a venv under /root is
# not in the view), and the tests make a venv with it.
if [ ! -x /usr/bin/python3 ]; then
  missing+=(python3 python3-venv)
elif ! /usr/bin/python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  missing+=(python3-venv)
fi
# The cross compiler links the helper statically against the cross C library.
if [ ${#cross[@]} -gt 0 ] && [ ! -f "/usr/${cross[1]}/lib/libc.a" ]; then
  missing+=("${cross[3]}")
fi
if [ ${#missing[@]} -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "setup: missing system packages: ${missing[*]}" >&2
    echo "setup: install them first, e.g.: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node.js 20 or later is needed (found $(node --version))" >&2
  exit 1
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi

bash scripts/build.sh

# The tests and the demo start a Temporal dev server unless TEMPORAL_ADDRESS names one: make sure
# the CLI is there now (built once into ~/.cache, a few minutes), with its progress shown here.
if [ -z "${TEMPORAL_ADDRESS:-}" ]; then
  bash scripts/ensure-temporal.sh >/dev/null
fi
