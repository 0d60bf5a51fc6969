# Shared by the bench scripts: a fresh PostgreSQL database, a build of the
# service and the load generators, services started in the background and
# waited for on /readyz (stopped on exit), and loud failures: a service that
# exits, a load generator that fails or hangs, a script past its time.
#
#   BENCH_PROFILE=ci bench/orders.sh   # the faster-built profile CI fuzzes
#   DURATION=3 bench/orders.sh         # a short run
set -euo pipefail
cd "$(dirname "$0")/.."

PG_SERVER=${PG_SERVER:-postgres://postgres@127.0.0.1:5432}
REDIS=${REDIS:-redis://127.0.0.1:6379}
PORT=${PORT:-18088}
BASE="http://127.0.0.1:$PORT"
PROFILE=${BENCH_PROFILE:-release}
BIN="${CARGO_TARGET_DIR:-target}/$PROFILE"
READY_SECS=${READY_SECS:-240}
mkdir -p bench/out

fail() {
  echo "BENCH FAILED: $*" >&2
  for log in bench/out/service-*.log; do
    [ -f "$log" ] && { echo "---- tail of $log" >&2; tail -n 30 "$log" >&2; }
  done
  exit 1
}

fresh_database() {
  psql -q "$PG_SERVER/postgres" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1"
  export DATABASE_URL="$PG_SERVER/$1" REDIS_URL="$REDIS"
  export GONGFANG__CACHE__KEY_PREFIX="bench:$1:$$:" GONGFANG__LOG__LEVEL=warn
  # Thousands of buyers from one loopback address: no per-address or per-customer limits.
  export GONGFANG__RATE_LIMITS__ORDERS__PER_CUSTOMER=0 GONGFANG__RATE_LIMITS__ORDERS__PER_IP=0
  export GONGFANG__RATE_LIMITS__DEALS__PER_CUSTOMER=0 GONGFANG__RATE_LIMITS__DEALS__PER_IP=0
  # The load generator is one address holding thousands of event streams.
  export GONGFANG__LIVE__STREAMS_PER_ADDRESS=0 GONGFANG__LIVE__DEVICES_PER_ADDRESS=100000
}

# Builds the service and the named extra binaries (one cargo invocation).
build() {
  echo "== $PROFILE build"
  local bins=(--bin gongfang)
  for extra in "$@"; do bins+=(--bin "$extra"); done
  cargo build --profile "$PROFILE" --quiet "${bins[@]}"
}

release_build() { build gongfang-load; }

SERVICE_PIDS=()
stop_services() {
  for pid in "${SERVICE_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${SERVICE_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  SERVICE_PIDS=()
}
trap stop_services EXIT

# start_service [--port P] [serve args…]: starts an instance and waits until
# /readyz answers 200 (the demo, if asked for, is loaded); fails at once if
# the process exits meanwhile. Sets SERVICE_PID.
start_service() {
  local port=$PORT
  if [ "${1:-}" = "--port" ]; then port=$2; shift 2; fi
  "$BIN/gongfang" serve --bind "127.0.0.1:$port" "$@" > "bench/out/service-$port.log" 2>&1 &
  SERVICE_PID=$!
  SERVICE_PIDS+=("$SERVICE_PID")
  wait_ready "http://127.0.0.1:$port" "$SERVICE_PID"
}

wait_ready() {
  local base=$1 pid=$2 deadline=$((SECONDS + READY_SECS))
  while [ "$SECONDS" -lt "$deadline" ]; do
    kill -0 "$pid" 2>/dev/null || fail "the service at $base exited before it was ready"
    curl -fs "$base/readyz" > /dev/null 2>&1 && return 0
    sleep 0.2
  done
  fail "the service at $base was not ready within ${READY_SECS}s"
}

# Fails unless every started service is still running.
assert_alive() {
  for pid in "${SERVICE_PIDS[@]}"; do
    kill -0 "$pid" 2>/dev/null || fail "a service (pid $pid) died during the run"
  done
}

# run_load SECONDS CMD…: runs a load generator for at most SECONDS (plus a
# grace), failing loudly if it fails, hangs, or a service died meanwhile.
run_load() {
  local limit=$1; shift
  local status=0
  timeout --kill-after=5 "$((limit + 30))" "$@" || status=$?
  [ "$status" -eq 124 ] && fail "the load generator hung: $*"
  [ "$status" -ne 0 ] && fail "the load generator failed ($status): $*"
  assert_alive
}

sql() {
  psql -qAt "$DATABASE_URL" -c "$1"
}

ensure_wrk() {
  command -v wrk > /dev/null && return
  echo "== installing wrk"
  apt-get install -y -qq wrk > /dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk > /dev/null; }
}

# Sum of user + system CPU ticks of the given processes.
cpu_ticks() {
  local total=0 pid ticks
  for pid in "$@"; do
    ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)
    total=$((total + ticks))
  done
  echo "$total"
}

# measure SECONDS CMD…: runs the load like run_load and prints where the CPU
# went meanwhile (percent of one core): the services, PostgreSQL, Redis and
# the load generator, and PostgreSQL commits.
measure() {
  local limit=$1; shift
  local hz pg redis s0 p0 r0 c0 started elapsed s1 p1 r1 c1 load
  hz=$(getconf CLK_TCK)
  pg=$(pgrep -x postgres | tr '\n' ' ')
  redis=$(pgrep -x redis-server | tr '\n' ' ')
  # shellcheck disable=SC2086
  s0=$(cpu_ticks "${SERVICE_PIDS[@]}"); p0=$(cpu_ticks $pg); r0=$(cpu_ticks $redis)
  c0=$(psql -qAt "$PG_SERVER/postgres" -c "SELECT sum(xact_commit) FROM pg_stat_database")
  started=$(date +%s.%N)
  run_load "$limit" /usr/bin/time -f '%U %S' -o bench/out/load-cpu.txt "$@"
  elapsed=$(python3 -c "import time; print(time.time() - $started)")
  # shellcheck disable=SC2086
  s1=$(cpu_ticks "${SERVICE_PIDS[@]}"); p1=$(cpu_ticks $pg); r1=$(cpu_ticks $redis)
  c1=$(psql -qAt "$PG_SERVER/postgres" -c "SELECT sum(xact_commit) FROM pg_stat_database")
  load=$(awk '{print $1 + $2}' bench/out/load-cpu.txt)
  python3 - "$hz" "$elapsed" "$((s1 - s0))" "$((p1 - p0))" "$((r1 - r0))" "$load" "$((c1 - c0))" <<'PY'
import sys
hz, secs, service, pg, redis, load, commits = (float(x) for x in sys.argv[1:])
pct = lambda ticks: 100 * ticks / hz / secs
print(f"CPU (% of one core, {secs:.1f} s): service {pct(service):.0f}, PostgreSQL {pct(pg):.0f}, "
      f"Redis {pct(redis):.0f}, load generator {100 * load / secs:.0f}; "
      f"PostgreSQL commits {commits:.0f} ({commits / secs:.0f}/s)")
PY
}
