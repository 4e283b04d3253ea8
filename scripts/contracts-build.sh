#!/usr/bin/env bash
# Compiles the Solidity contracts into contracts/out/ (<Name>.abi.json, <Name>.bin).
# Installs the npm devDependencies (solc, anvil) first when they are missing.
# Usage: scripts/contracts-build.sh [--if-needed]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [ ! -d node_modules/solc ] || [ ! -x node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil ]; then
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
fi
exec node contracts/build.mjs "$@"
