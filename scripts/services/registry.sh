#!/usr/bin/env bash
# Starts a local OCI registry (Debian's docker-registry, distribution 2.8) on 127.0.0.1 for image pulls
# by digest in the container tests, and prints its address. Idempotent: installs the package when missing,
# starts the registry only when /v2/ does not answer. Plain http on loopback; podman.sh marks it insecure.
set -euo pipefail

RUN_DIR="${ORCHESTRATOR_CONTAINERS_DIR:-/var/tmp/orchestrator-containers}"
REGISTRY="${ORCHESTRATOR_REGISTRY:-127.0.0.1:5123}"

log() { echo "registry.sh: $*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v docker-registry >/dev/null 2>&1; then
  log "installing Debian's docker-registry"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || true
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-registry >&2
fi

answers() { curl -sf --max-time 2 "http://$REGISTRY/v2/" >/dev/null 2>&1; }

if answers; then
  log "the registry already answers on $REGISTRY"
else
  mkdir -p "$RUN_DIR/registry/storage"
  cat > "$RUN_DIR/registry/config.yml" <<CONF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $RUN_DIR/registry/storage
  delete:
    enabled: true
http:
  addr: $REGISTRY
CONF
  log "starting docker-registry on $REGISTRY"
  setsid docker-registry serve "$RUN_DIR/registry/config.yml" >"$RUN_DIR/registry/registry.log" 2>&1 < /dev/null &
  for _ in $(seq 1 100); do answers && break; sleep 0.1; done
  answers || { log "the registry did not answer"; tail -20 "$RUN_DIR/registry/registry.log" >&2; exit 1; }
fi
echo "$REGISTRY"
