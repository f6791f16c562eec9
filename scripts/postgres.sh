#!/usr/bin/env bash
# A private PostgreSQL server for the project: `scripts/postgres.sh up|down|status|env`.
#
# up     installs Debian's postgresql where its binaries are missing, initdb's a cluster under
#        $MOT_PG_DIR (default .postgres/ in the project), starts it with pg_ctl on 127.0.0.1 and a
#        free port, creates the database and writes the connection settings to $MOT_PG_DIR/server.env
#        (Settings reads them from there when MOT_PG_* are not set). Idempotent: a running server
#        is left as it is.
# down   stops the server by the pid it recorded (SIGINT: PostgreSQL's fast shutdown).
# status prints whether it runs; env prints server.env (for `eval` or `source`).
#
# initdb and postgres refuse to run as root: as root they run as the `postgres` OS user that
# Debian's package creates (runuser), which then owns the cluster. When that user cannot reach
# the project folder (a checkout under /root), the cluster goes to a folder of its own under
# /tmp; server.env and server.pid stay in $MOT_PG_DIR either way.
set -euo pipefail
cd "$(dirname "$0")/.."
PG_DIR=${MOT_PG_DIR:-$PWD/.postgres}
case $PG_DIR in /*) ;; *) PG_DIR=$PWD/$PG_DIR ;; esac
CLUSTER=$PG_DIR/cluster
ENV_FILE=$PG_DIR/server.env
PID_FILE=$PG_DIR/server.pid
DATABASE=${MOT_PG_DATABASE:-moments_of_truth}
PG_USER=postgres

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

running() { [ -s "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; }

install_server() {
  [ -n "$(pg_bin)" ] && return
  echo "installing Debian's postgresql"
  local sudo; sudo=$([ "$(id -u)" = 0 ] || echo sudo)
  $sudo apt-get update -qq
  # Debian's package starts a cluster of its own on 5432 through its service scripts; ours is separate.
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

up() {
  if running; then
    echo "postgres already running (pid $(cat "$PID_FILE")): $(grep MOT_PG_PORT "$ENV_FILE")"
    return
  fi
  install_server
  local bin; bin=$(pg_bin)
  mkdir -p "$PG_DIR"
  if [ "$(id -u)" = 0 ]; then
    mkdir -p "$CLUSTER" && chown postgres: "$CLUSTER"
    if ! runuser -u postgres -- test -w "$CLUSTER"; then
      CLUSTER=${TMPDIR:-/tmp}/mot-postgres-$(printf %s "$PG_DIR" | md5sum | cut -c1-12)
      mkdir -p "$CLUSTER" && chown postgres: "$CLUSTER" && chmod 700 "$CLUSTER"
    fi
    echo "$CLUSTER" >"$PG_DIR/cluster.path"
  else
    mkdir -p "$CLUSTER"
  fi
  local DATA=$CLUSTER/data
  if [ ! -s "$DATA/PG_VERSION" ]; then
    # C collation: text sorts byte-wise, as DuckDB and Spark sort it, so ordered results agree.
    as_owner "$bin/initdb" -D "$DATA" -U "$PG_USER" --auth=trust -E UTF8 --locale=C >"$CLUSTER/initdb.log"
  fi
  local port; port=$(free_port)
  # A private, disposable cluster: durability settings off (a crash loses nothing the next night
  # does not rebuild), no Unix socket outside the cluster folder.
  as_owner "$bin/pg_ctl" -D "$DATA" -l "$CLUSTER/server.log" -w -t 60 start -o \
    "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='$CLUSTER' -c fsync=off \
     -c synchronous_commit=off -c full_page_writes=off -c max_connections=50" >/dev/null
  head -n 1 "$DATA/postmaster.pid" >"$PID_FILE"
  if ! as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U "$PG_USER" -d postgres -tAc \
      "select 1 from pg_database where datname = '$DATABASE'" | grep -q 1; then
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U "$PG_USER" "$DATABASE"
  fi
  cat >"$ENV_FILE" <<ENV
MOT_PG_HOST=127.0.0.1
MOT_PG_PORT=$port
MOT_PG_USER=$PG_USER
MOT_PG_DATABASE=$DATABASE
MOT_PG_PID=$(cat "$PID_FILE")
ENV
  echo "postgres started (pid $(cat "$PID_FILE")) on 127.0.0.1:$port, database $DATABASE; settings in $ENV_FILE"
}

down() {
  if ! running; then
    echo "postgres is not running"
    rm -f "$PID_FILE"
    return
  fi
  local pid; pid=$(cat "$PID_FILE")
  kill -INT "$pid"
  for _ in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$PID_FILE"; echo "postgres stopped (pid $pid)"; return; }
    sleep 0.1
  done
  echo "postgres (pid $pid) did not stop within 30 s" >&2
  exit 1
}

case ${1:-} in
  up) up ;;
  down) down ;;
  status) if running; then echo "running (pid $(cat "$PID_FILE"))"; else echo "stopped"; exit 3; fi ;;
  env) cat "$ENV_FILE" ;;
  *) echo "usage: $0 up|down|status|env" >&2; exit 2 ;;
esac
