#!/usr/bin/env bash
# Starts a local RabbitMQ node bound to 127.0.0.1 for the bus and bridge integration tests.
# Idempotent: installs Debian's rabbitmq-server when missing, starts the node only when it is down,
# waits with `rabbitmqctl await_startup`, and prints the AMQP URI the tests use.
set -euo pipefail

log() { echo "rabbitmq.sh: $*" >&2; }

# Root installs directly; anyone else through sudo (a developer's machine).
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v rabbitmq-server >/dev/null 2>&1; then
  log "rabbitmq-server missing: installing Debian's rabbitmq-server"
  export DEBIAN_FRONTEND=noninteractive
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || true
  # The package's postinst may try to start a node through systemd; there is none here, so we start it below.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >&2 || true
  command -v rabbitmq-server >/dev/null 2>&1 || { log "installing rabbitmq-server failed"; exit 1; }
fi

# Loopback only: nothing outside this machine reaches the broker (AMQP, and the Erlang distribution port).
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_DIST_PORT="${RABBITMQ_DIST_PORT:-25672}"
export ERL_EPMD_ADDRESS=127.0.0.1
export RABBITMQ_NODENAME="${RABBITMQ_NODENAME:-rabbit@localhost}"
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"

if rabbitmqctl -n "$RABBITMQ_NODENAME" status >/dev/null 2>&1; then
  log "node $RABBITMQ_NODENAME is already running"
else
  log "starting node $RABBITMQ_NODENAME on 127.0.0.1"
  # -detached returns at once; await_startup below waits for the broker to accept connections.
  if [ "$(id -u)" = 0 ] && id rabbitmq >/dev/null 2>&1; then
    runuser -u rabbitmq -- env RABBITMQ_NODE_IP_ADDRESS="$RABBITMQ_NODE_IP_ADDRESS" RABBITMQ_DIST_PORT="$RABBITMQ_DIST_PORT" \
      ERL_EPMD_ADDRESS="$ERL_EPMD_ADDRESS" RABBITMQ_NODENAME="$RABBITMQ_NODENAME" \
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="$RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS" rabbitmq-server -detached >&2
  else
    rabbitmq-server -detached >&2
  fi
fi

# await_startup fails at once while the node has not yet registered with epmd: retry it for a while.
for attempt in $(seq 1 60); do
  if rabbitmqctl -n "$RABBITMQ_NODENAME" await_startup --timeout 120 >/dev/null 2>&1; then break; fi
  [ "$attempt" = 60 ] && { log "the node did not start"; rabbitmqctl -n "$RABBITMQ_NODENAME" status >&2 || true; exit 1; }
  sleep 1
done
# A started-but-stopped app (rabbitmqctl stop_app) counts as down: start it again.
rabbitmqctl -n "$RABBITMQ_NODENAME" start_app >/dev/null 2>&1 || true
echo "amqp://guest:guest@127.0.0.1:5672/"
