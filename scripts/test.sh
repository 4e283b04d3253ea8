#!/usr/bin/env bash
# The one test command (README, .ci/run): installs and starts what the tests need, builds, runs every
# test suite, and ends with the totals on a line of their own: "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
log_dir="$root/artifacts/test-logs"
mkdir -p "$log_dir"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# Test vectors are vendored under tests/shared (tests find them by walking up); ORCHESTRATOR_SHARED_DIR overrides.

passed=0 failed=0 skipped=0

section() { printf '\n==> %s\n' "$*"; }

# 1. Services the integration tests need.
if [ -x scripts/services/postgres.sh ] || [ -f scripts/services/postgres.sh ]; then
  section "PostgreSQL"
  bash scripts/services/postgres.sh || echo "warning: PostgreSQL could not be started; its tests will report it"
fi
for service in scripts/services/*.sh; do
  case "$service" in */postgres.sh|*"*"*) continue ;; esac
  section "service $(basename "$service" .sh)"
  bash "$service" || echo "warning: $(basename "$service") could not be started; its tests will report it"
done

# 2. The chain toolchain (Anvil and solc) from npm, when the project has contracts.
if [ -f package.json ]; then
  section "npm packages (solc, anvil)"
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi \
    || echo "warning: npm install failed"
  # The .NET bridge tests deploy the compiled contract: build it before them (no-op when up to date).
  [ -f contracts/build.mjs ] && { node contracts/build.mjs --if-needed || echo "warning: the contract build failed"; }
fi

# 3. Build once, warnings as errors.
section "build"
if ! dotnet build Orchestrator.sln -c Release -nologo -clp:ErrorsOnly 2>&1 | tee "$log_dir/build.log"; then
  echo "build failed"
fi
if grep -qE "error [A-Z]+[0-9]+|Build FAILED" "$log_dir/build.log"; then
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

# 4. .NET test projects, one at a time (each prints its own totals).
for project in tests/*/*.csproj; do
  name=$(basename "$project" .csproj)
  section "$name"
  out="$log_dir/$name.log"
  dotnet test "$project" -c Release --no-build -nologo 2>&1 | tee "$out" | grep -E "^\s*(Failed|Skipped) |Passed!|Failed!|error" || true
  # Minimal verbosity prints "Passed!  - Failed: 0, Passed: 10, Skipped: 0, Total: 10"; normal prints "Total tests:" blocks.
  line=$(grep -E "(Passed|Failed)! +- +Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+" "$out" | tail -1)
  if [ -n "$line" ]; then
    f=$(sed -E 's/.*Failed: +([0-9]+).*/\1/' <<<"$line")
    p=$(sed -E 's/.*Passed: +([0-9]+).*/\1/' <<<"$line")
    s=$(sed -E 's/.*Skipped: +([0-9]+).*/\1/' <<<"$line")
  elif grep -qE "^Total tests: +[0-9]+" "$out"; then
    p=$(grep -E "^ +Passed: +[0-9]+" "$out" | tail -1 | grep -oE "[0-9]+"); p=${p:-0}
    f=$(grep -E "^ +Failed: +[0-9]+" "$out" | tail -1 | grep -oE "[0-9]+"); f=${f:-0}
    s=$(grep -E "^ +Skipped: +[0-9]+" "$out" | tail -1 | grep -oE "[0-9]+"); s=${s:-0}
  else
    echo "$name: no test summary (the run crashed or timed out)"
    failed=$((failed + 1))
    continue
  fi
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
done

# 5. Contract tests (Node's test runner against a real Anvil).
if [ -d contracts/test ] && [ -f package.json ]; then
  section "contracts"
  out="$log_dir/contracts.log"
  npm test 2>&1 | tee "$out" | tail -15
  # The spec reporter prints "ℹ pass N"; the TAP reporter "# pass N".
  tap="contracts/out/test-results.tap"; [ -f "$tap" ] && cat "$tap" >>"$out"
  p=$(grep -oE "(#|ℹ) pass [0-9]+" "$out" | tail -1 | awk '{print $3}')
  f=$(grep -oE "(#|ℹ) fail [0-9]+" "$out" | tail -1 | awk '{print $3}')
  s=$(grep -oE "(#|ℹ) skipped [0-9]+" "$out" | tail -1 | awk '{print $3}')
  if [ -z "$p" ]; then
    echo "contracts: no test summary"
    failed=$((failed + 1))
  else
    passed=$((passed + p)); failed=$((failed + ${f:-0})); skipped=$((skipped + ${s:-0}))
  fi
fi

echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
