#!/usr/bin/env bash
# Starts the local PostgreSQL 15 cluster for the integration tests and prints its connection string.
# Idempotent: installs, starts, creates the role and the database only when they are missing.
set -euo pipefail

PG_VERSION="${PG_VERSION:-15}"
PG_CLUSTER="${PG_CLUSTER:-main}"
ROLE="${ORCHESTRATOR_PG_ROLE:-orchestrator}"
PASSWORD="${ORCHESTRATOR_PG_PASSWORD:-orchestrator}"
DATABASE="${ORCHESTRATOR_PG_DATABASE:-orchestrator_test}"

log() { echo "postgres.sh: $*" >&2; }

# Root runs these directly; anyone else through sudo (a developer's machine).
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

as_postgres() {
  # runuser needs no PAM session when we are root; su is the fallback on images without it.
  if [ "$(id -u)" -ne 0 ]; then sudo -u postgres -- "$@"
  elif command -v runuser >/dev/null 2>&1; then runuser -u postgres -- "$@"
  else su postgres -c "$(printf '%q ' "$@")"; fi
}

psql_admin() { as_postgres psql -v ON_ERROR_STOP=1 -X -q -At "$@"; }

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  log "pg_ctlcluster missing: installing Debian's postgresql"
  export DEBIAN_FRONTEND=noninteractive
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || true
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi

if ! pg_lsclusters -h 2>/dev/null | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1==v && $2==c {found=1} END {exit !found}'; then
  log "creating cluster $PG_VERSION/$PG_CLUSTER"
  as_root pg_createcluster "$PG_VERSION" "$PG_CLUSTER" >&2
fi

if ! pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1==v && $2==c && $4=="online" {found=1} END {exit !found}'; then
  log "starting cluster $PG_VERSION/$PG_CLUSTER"
  as_root pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start >&2
fi

for _ in $(seq 1 60); do
  if pg_isready -q -h 127.0.0.1 -p 5432; then break; fi
  sleep 0.5
done
pg_isready -h 127.0.0.1 -p 5432 >&2

if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != "1" ]; then
  log "creating role $ROLE"
  # CREATEDB: each integration test class creates its own fresh database.
  psql_admin -c "CREATE ROLE \"$ROLE\" LOGIN CREATEDB PASSWORD '$PASSWORD'"
fi

if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" != "1" ]; then
  log "creating database $DATABASE"
  psql_admin -c "CREATE DATABASE \"$DATABASE\" OWNER \"$ROLE\""
fi

echo "Host=127.0.0.1;Port=5432;Database=$DATABASE;Username=$ROLE;Password=$PASSWORD"
