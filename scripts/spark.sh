#!/usr/bin/env bash
# A private Spark standalone cluster for the `spark` dbt target: one master and two workers on
# 127.0.0.1, started from pyspark's own launcher (bin/spark-class; the sbin/ scripts are not in
# the PyPI wheel), each on a free port, each stopped by its pid.
#
#   scripts/spark.sh up      start the cluster (no-op when the recorded one is alive)
#   scripts/spark.sh down    stop it
#   scripts/spark.sh status  print the master URL, exit 1 when it is not running
#
# The state lives in $MOT_SPARK_CLUSTER_DIR (default .spark/ under the project): master.pid,
# worker-1.pid, worker-2.pid, logs/, and cluster.env, which holds MOT_SPARK_MASTER
# (spark://127.0.0.1:<port>) for `mot`, the tests and the benchmark to read.
set -euo pipefail
cd "$(dirname "$0")/.."
PROJECT_DIR=$(pwd)
STATE_DIR=${MOT_SPARK_CLUSTER_DIR:-$PROJECT_DIR/.spark}
PYTHON=${PYTHON:-$PROJECT_DIR/.venv/bin/python}
WORKERS=${MOT_SPARK_WORKERS:-2}
WORKER_CORES=${MOT_SPARK_WORKER_CORES:-1}
WORKER_MEMORY=${MOT_SPARK_WORKER_MEMORY:-2g}
START_TIMEOUT=${MOT_SPARK_START_TIMEOUT:-180}

# Other processes on a shared machine may hold Spark's default ports (7077, 8080, 8081): ask the
# kernel for free ones instead.
free_port() {
  "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

spark_home() {
  "$PYTHON" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))' 2>/dev/null || {
    echo "pyspark is not installed in $PYTHON: run make install-spark" >&2
    exit 1
  }
}

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Wait until a line appears in a log, or the process dies, or time runs out.
wait_for() {
  local log=$1 pattern=$2 pidfile=$3 waited=0
  until grep -q "$pattern" "$log" 2>/dev/null; do
    if ! alive "$pidfile"; then
      echo "spark: $(basename "$pidfile" .pid) exited; the end of $log:" >&2
      tail -20 "$log" >&2
      return 1
    fi
    if [ "$waited" -ge "$START_TIMEOUT" ]; then
      echo "spark: no '$pattern' in $log after ${START_TIMEOUT}s" >&2
      return 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
}

ensure_java() {
  if command -v java >/dev/null 2>&1; then return; fi
  echo "spark: installing Debian's openjdk-17-jre-headless (Spark needs Java 17)"
  local sudo
  sudo=$([ "$(id -u)" = 0 ] || echo sudo)
  $sudo apt-get update -qq && $sudo apt-get install -y -qq openjdk-17-jre-headless >/dev/null
}

start() {
  if alive "$STATE_DIR/master.pid"; then
    cat "$STATE_DIR/cluster.env"
    return 0
  fi
  ensure_java
  local home master_port
  home=$(spark_home)
  mkdir -p "$STATE_DIR/logs" "$STATE_DIR/work"
  export SPARK_HOME=$home SPARK_LOCAL_IP=127.0.0.1 SPARK_LOG_DIR=$STATE_DIR/logs
  master_port=$(free_port)
  # setsid: each daemon leads its own process group, so `down` stops it (and the JVM that
  # spark-class execs) by its pid without touching anything else.
  setsid "$home/bin/spark-class" org.apache.spark.deploy.master.Master \
    --host 127.0.0.1 --port "$master_port" --webui-port "$(free_port)" \
    >"$STATE_DIR/logs/master.log" 2>&1 </dev/null &
  echo $! >"$STATE_DIR/master.pid"
  wait_for "$STATE_DIR/logs/master.log" "I have been elected leader" "$STATE_DIR/master.pid"
  for i in $(seq 1 "$WORKERS"); do
    setsid "$home/bin/spark-class" org.apache.spark.deploy.worker.Worker \
      --host 127.0.0.1 --port "$(free_port)" --webui-port "$(free_port)" \
      --cores "$WORKER_CORES" --memory "$WORKER_MEMORY" --work-dir "$STATE_DIR/work/worker-$i" \
      "spark://127.0.0.1:$master_port" >"$STATE_DIR/logs/worker-$i.log" 2>&1 </dev/null &
    echo $! >"$STATE_DIR/worker-$i.pid"
  done
  for i in $(seq 1 "$WORKERS"); do
    wait_for "$STATE_DIR/logs/worker-$i.log" "Successfully registered with master" "$STATE_DIR/worker-$i.pid"
  done
  cat >"$STATE_DIR/cluster.env" <<EOF
MOT_SPARK_MASTER=spark://127.0.0.1:$master_port
MOT_SPARK_WORKERS=$WORKERS
EOF
  cat "$STATE_DIR/cluster.env"
}

stop() {
  local pidfile pid
  for pidfile in "$STATE_DIR"/worker-*.pid "$STATE_DIR/master.pid"; do
    [ -e "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
  rm -f "$STATE_DIR/cluster.env"
}

case "${1:-}" in
  up) start ;;
  down) stop ;;
  status)
    if alive "$STATE_DIR/master.pid"; then cat "$STATE_DIR/cluster.env"; else echo "spark: not running" >&2; exit 1; fi ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
