#!/usr/bin/env bash
# The one test command (README, .ci/run): installs and starts what the tests need, builds, runs every
# test suite, and ends with the totals on a line of their own: "N passed, N failed, N skipped".
# Under CI=true a skipped test fails the run: a service that could not be installed must not turn its
# suites into skips while CI stays green.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
log_dir="$root/artifacts/test-logs"
mkdir -p "$log_dir"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# Test vectors are vendored under tests/shared (tests find them by walking up); ORCHESTRATOR_SHARED_DIR overrides.

passed=0 failed=0 skipped=0
skipped_names=()

section() { printf '\n==> %s\n' "$*"; }

# Installs Debian packages (a fresh Debian machine has neither node nor python3).
apt_updated=""
install_packages() {
  echo "installing $*"
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  # One package index refresh per run, however many installs follow.
  [ -n "$apt_updated" ] || { DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq >/dev/null 2>&1 || true; apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null || echo "warning: installing $* failed"
}
need() { command -v "$1" >/dev/null 2>&1 || install_packages "${@:2}"; }
need node nodejs
need npm npm
need python3 python3
# deploy/certs/issue.sh (compose's certificates) is run by the deployment tests.
need openssl openssl
# The service scripts wait for podman's API and the local registry with curl.
need curl curl
# The outsider worker (tests/outsider/grpc_worker.py) uses Debian's gRPC for Python, not pip's.
/usr/bin/python3 -c "import grpc, grpc_tools" 2>/dev/null || install_packages python3-grpcio python3-grpc-tools

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
# The container tests' images, built from busybox-static and pushed to the local registry (seconds; instant when present).
section "test images"
bash scripts/test-images.sh || echo "warning: the test images could not be built; the container tests will report it"

# 2. The chain toolchain (Anvil and solc) and the S3 test server (s3rver) from npm (package-lock.json).
if [ -f package.json ]; then
  section "npm packages (solc, anvil, s3rver)"
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi \
    || echo "warning: npm install failed"
  # The S3 result store's tests start it; under CI=true they fail (not skip) without it.
  [ -f node_modules/s3rver/bin/s3rver.js ] || echo "warning: s3rver is not installed; the S3 result store tests will report it"
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
  # Class libraries under tests/ (the shared kit, tests/Orchestrator.Testing) hold no tests.
  grep -q "<IsTestProject>false</IsTestProject>" "$project" && continue
  section "$name"
  out="$log_dir/$name.log"
  dotnet test "$project" -c Release --no-build -nologo --blame-hang-timeout 15m 2>&1 | tee "$out" | grep -E "^\s*(Failed|Skipped) |Passed!|Failed!|error" || true
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
  # A failure's reason belongs in the printed run, not only in the log file a CI machine throws away:
  # each failed test's error message (its first 40 lines; process outputs attached to it can be long).
  if [ "$f" != "0" ]; then
    awk '/^ *Error Message:/ {on=1; n=0} /^ *Stack Trace:/ {on=0} on && n < 40 {print "    " $0; n++}' "$out"
  fi
  while IFS= read -r line; do skipped_names+=("$name: $line"); done < <(grep -E "^\s*Skipped " "$out" | sed -E 's/^\s*Skipped //')
done

# 5. The worker protocol as an outsider implements it: Python (standard library only) recomputes the
#    worked signatures and the golden archives of docs/worker-protocol.md.
section "worker protocol (outsider check)"
if python3 tests/outsider/worker_protocol_check.py 2>&1 | tee "$log_dir/outsider.log" | tail -5 && grep -q " 0 mismatches" "$log_dir/outsider.log"; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
fi
#    And a worker written in Python from the document and the .proto files completes a deal against
#    the built server over real gRPC, its uploaded archives stored byte for byte.
section "worker protocol (outsider gRPC worker)"
if timeout 600 /usr/bin/python3 tests/outsider/grpc_worker.py 2>&1 | tee "$log_dir/outsider-worker.log" | tail -5 \
  && grep -q "archives stored byte for byte" "$log_dir/outsider-worker.log"; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
fi

# 6. Contract tests (Node's test runner against a real Anvil).
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

if [ "$skipped" -gt 0 ]; then
  section "skipped tests"
  printf '%s\n' "${skipped_names[@]}"
  if [ "${CI:-}" = "true" ]; then
    echo "CI=true: $skipped skipped tests count as failures (a service the tests need was not installed)"
    failed=$((failed + skipped))
  fi
fi

echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
