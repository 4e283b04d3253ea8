#!/usr/bin/env bash
# Builds the container tests' images without any outside registry and pushes them to the local registry
# (scripts/services/podman.sh and registry.sh must have run), then prints one line per image,
# NAME=registry/repository@sha256:<digest>, and writes the same lines to $RUN_DIR/images.env.
# Idempotent and fast when done: an image already in the registry under its tag is not built again.
#   app  busybox-static and /app, a shell script whose first argument picks what it does:
#        echo (reads /iexec_in, writes /iexec_out/result.txt), probe (writes what the sandbox allows),
#        alloc MiB (touches that much memory), sleep SECONDS, fail CODE.
#   big  the same plus 50 MiB of incompressible bytes, for the pull time figure.
# Bump IMAGE_TAG when /app changes, so a registry kept from an older run gets the new image.
set -euo pipefail

RUN_DIR="${ORCHESTRATOR_CONTAINERS_DIR:-/var/tmp/orchestrator-containers}"
REGISTRY="${ORCHESTRATOR_REGISTRY:-127.0.0.1:5123}"
IMAGE_TAG="v3"
export CONTAINERS_CONF="$RUN_DIR/containers.conf" CONTAINERS_REGISTRIES_CONF="$RUN_DIR/registries.conf"

log() { echo "test-images.sh: $*" >&2; }

# The digest the registry serves for repository:tag, or nothing when it has none.
registry_digest() {
  curl -sf --max-time 5 -I -H "Accept: application/vnd.oci.image.manifest.v1+json" \
    -H "Accept: application/vnd.docker.distribution.manifest.v2+json" \
    "http://$REGISTRY/v2/orchestrator-test/$1/manifests/$IMAGE_TAG" 2>/dev/null \
    | tr -d '\r' | awk -F': ' 'tolower($1)=="docker-content-digest" {print $2}' || true
}

write_app() {
  cat > "$1/app" <<'APP'
#!/bin/sh
# The container tests' app (scripts/test-images.sh).
case "$1" in
  echo)
    { echo "task $IEXEC_TASK_ID index $IEXEC_TASK_INDEX"; shift; echo "args $*";
      for f in "$IEXEC_IN"/*; do [ -f "$f" ] && { echo "input $(basename "$f")"; cat "$f"; echo; }; done; } > "$IEXEC_OUT/result.txt"
    echo "computed" ;;
  probe)
    out="$IEXEC_OUT/probe.txt"
    { grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status
      echo "interfaces $(ls /sys/class/net | tr '\n' ' ')"
      if touch /rootfs-write 2>/dev/null; then echo "root writable"; else echo "root read-only"; fi
      if touch "$IEXEC_IN/input-write" 2>/dev/null; then echo "input writable"; else echo "input read-only"; fi
      echo "user $(id -u)"
      if wget -q -T 2 -O /dev/null http://10.0.2.2/ 2>/dev/null; then echo "network reachable"; else echo "network unreachable"; fi
    } > "$out" ;;
  tee)
    # The TEE deal's app (as tests/Orchestrator.EndToEnd.Tests/Apps/tee.sh): the honest computation plus
    # proof of the dataset key and of exactly the requester secrets the enclave was given.
    shift
    printf 'task %s: %s\n' "$IEXEC_TASK_INDEX" "$*" > "$IEXEC_OUT/result.txt"
    printf '%s\n' "$(( IEXEC_TASK_INDEX * IEXEC_TASK_INDEX ))" > "$IEXEC_OUT/square.txt"
    printf '%s' "${IEXEC_DATASET_KEY:-}" | sha256sum | cut -d' ' -f1 > "$IEXEC_OUT/dataset-key.sha256"
    if [ "$(cat "$IEXEC_SECRETS_DIR/dataset/key")" = "${IEXEC_DATASET_KEY:-}" ]; then echo same; else echo different; fi > "$IEXEC_OUT/dataset-key-file.txt"
    env | grep '^IEXEC_REQUESTER_SECRET_' | sort > "$IEXEC_OUT/requester-secrets.txt" || true ;;
  alloc) echo "allocating $2 MiB"; exec dd if=/dev/zero of=/dev/null bs="${2}M" count=1 ;;
  sleep) sleep "$2" ;;
  fail) echo "failing with $2" >&2; exit "$2" ;;
  *) echo "unknown mode '$1'" >&2; exit 2 ;;
esac
APP
  chmod 0755 "$1/app"
}

build_and_push() {
  local name="$1" extra_mib="$2" digest
  digest=$(registry_digest "$name")
  if [ -z "$digest" ]; then
    local rootfs; rootfs=$(mktemp -d)
    mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/iexec_in" "$rootfs/iexec_out" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev" "$rootfs/etc"
    cp /bin/busybox "$rootfs/bin/busybox"
    for applet in $(/bin/busybox --list); do [ -e "$rootfs/bin/$applet" ] || ln -s busybox "$rootfs/bin/$applet"; done
    echo "root:x:0:0:root:/:/bin/sh" > "$rootfs/etc/passwd"
    write_app "$rootfs"
    if [ "$extra_mib" -gt 0 ]; then head -c "$((extra_mib * 1024 * 1024))" /dev/urandom > "$rootfs/payload.bin"; fi
    local reference="$REGISTRY/orchestrator-test/$name:$IMAGE_TAG"
    tar -C "$rootfs" -c . | podman import --change 'ENTRYPOINT ["/app"]' --change 'ENV PATH=/bin' - "$reference" >/dev/null
    rm -rf "$rootfs"
    podman push --quiet --tls-verify=false "$reference" >&2
    # The local copy goes: the tests' first pull is a real pull from the registry.
    podman rmi -f "$reference" >/dev/null 2>&1 || true
    digest=$(registry_digest "$name")
    [ -n "$digest" ] || { log "the registry has no digest for $reference after the push"; exit 1; }
    log "pushed $reference ($digest)"
  fi
  echo "$name=$REGISTRY/orchestrator-test/$name@$digest"
}

{ build_and_push app 0; build_and_push big 50; } | tee "$RUN_DIR/images.env.tmp"
mv "$RUN_DIR/images.env.tmp" "$RUN_DIR/images.env"
