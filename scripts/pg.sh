# A throwaway PostgreSQL cluster on loopback for the test suite's PostgreSQL pass.
# shellcheck shell=bash

PG_PORT="${IRFLOW_TEST_PG_PORT:-55432}"
PG_DIR="${IRFLOW_TEST_PG_DIR:-/tmp/irflow-test-pg}"

pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
  return 1
}

as_pg_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# Start (or reuse) the cluster and print its DATABASE_URL.
pg_start() {
  local bin
  bin="$(pg_bin)" || { echo "PostgreSQL is not installed (apt install postgresql)." >&2; return 1; }
  if [ ! -f "$PG_DIR/PG_VERSION" ]; then
    mkdir -p "$PG_DIR"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$PG_DIR"
    as_pg_owner "$bin/initdb" -D "$PG_DIR" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    cat >> "$PG_DIR/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_DIR'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
CONF
  fi
  if ! as_pg_owner "$bin/pg_ctl" -D "$PG_DIR" status >/dev/null 2>&1; then
    as_pg_owner "$bin/pg_ctl" -D "$PG_DIR" -l "$PG_DIR/server.log" -w start >/dev/null
  fi
  "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc \
    "SELECT 1 FROM pg_roles WHERE rolname='irflow'" | grep -q 1 || \
    "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc \
      "CREATE ROLE irflow LOGIN SUPERUSER PASSWORD 'irflow'" >/dev/null
  "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname='irflow'" | grep -q 1 || \
    "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE irflow OWNER irflow" >/dev/null
  echo "postgres://irflow:irflow@127.0.0.1:$PG_PORT/irflow"
}

pg_stop() {
  local bin
  bin="$(pg_bin)" || return 0
  as_pg_owner "$bin/pg_ctl" -D "$PG_DIR" -m fast stop >/dev/null 2>&1 || true
}
