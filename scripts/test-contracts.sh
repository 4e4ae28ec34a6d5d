#!/usr/bin/env bash
# Run the registry contract tests (Hardhat 3: Solidity tests in tests/contracts/*.t.sol, then the
# node:test gas checks in tests/contracts/js/), after making sure the Node 22 toolchain is set up.
# Extra arguments go to `hardhat test` (e.g. `scripts/test-contracts.sh solidity`).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup-node.sh
NODE_BIN="$(bash scripts/setup-node.sh --print-node-bin)"
export PATH="$NODE_BIN:$PATH"
export HARDHAT_DISABLE_TELEMETRY=true
exec node node_modules/hardhat/dist/src/cli.js test "$@"
