#!/usr/bin/env bash
# Starts podman's Docker-compatible API (Engine API v1.41) on a Unix socket for the container tests,
# and prints the socket's path. Idempotent: installs Debian's podman, runc and busybox-static when
# missing, writes the project's containers.conf and registries.conf under the run directory, starts
# `podman system service` only when the socket does not answer, and waits for GET /_ping.
# crun (Debian's default) fails on this cgroup layout ("cgroups in hybrid mode not supported"), and
# root here cannot raise its hard limits: hence runc, cgroupfs and the explicit ulimits (DESIGN §5).
set -euo pipefail

RUN_DIR="${ORCHESTRATOR_CONTAINERS_DIR:-/var/tmp/orchestrator-containers}"
SOCKET="$RUN_DIR/podman.sock"
REGISTRY="${ORCHESTRATOR_REGISTRY:-127.0.0.1:5123}"

log() { echo "podman.sh: $*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v podman >/dev/null 2>&1 || missing+=(podman)
command -v runc >/dev/null 2>&1 || missing+=(runc)
[ -x /bin/busybox ] || missing+=(busybox-static)
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian's ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || true
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

mkdir -p "$RUN_DIR"
cat > "$RUN_DIR/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=1024:1024"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
# The local registry speaks plain http on loopback: podman must be told so, for this registry only.
cat > "$RUN_DIR/registries.conf" <<CONF
unqualified-search-registries = []

[[registry]]
location = "$REGISTRY"
insecure = true
CONF
export CONTAINERS_CONF="$RUN_DIR/containers.conf" CONTAINERS_REGISTRIES_CONF="$RUN_DIR/registries.conf"

ping() { curl -sf --max-time 2 --unix-socket "$SOCKET" http://d/_ping >/dev/null 2>&1; }

if ping; then
  log "the API already answers on $SOCKET"
else
  rm -f "$SOCKET"
  log "starting podman system service on $SOCKET"
  # --time=0: the service never exits on idle. setsid: it outlives this script and the test run.
  # From the run directory: conmon leaves files (e.g. "oom") in its working directory.
  cd "$RUN_DIR"
  setsid podman system service --time=0 "unix://$SOCKET" >"$RUN_DIR/podman-service.log" 2>&1 < /dev/null &
  for _ in $(seq 1 100); do ping && break; sleep 0.1; done
  ping || { log "the API did not answer"; tail -20 "$RUN_DIR/podman-service.log" >&2; exit 1; }
fi
echo "$SOCKET"
