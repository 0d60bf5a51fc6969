#!/usr/bin/env bash
# Catalog read benchmark, one command: builds the release binary, starts it
# against PostgreSQL + Redis on a fresh database with the demo data, and drives
# product detail and the first list page with wrk (20 s, 64 connections each),
# first with the in-process catalog cache, then with it switched off
# (GONGFANG__CATALOG__CACHE=false: every read queries PostgreSQL).
#
#   bench/catalog.sh                      # defaults below
#   BENCH_DURATION=5s bench/catalog.sh    # a quick run
#
# Prints requests/s, p50, p99 and non-2xx counts per run; raw wrk output and the
# server logs land in bench/out/.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}"
REDIS="${BENCH_REDIS_URL:-redis://127.0.0.1:6379}"
DB="${BENCH_DB:-gongfang_bench}"
PORT="${BENCH_PORT:-18181}"
DURATION="${BENCH_DURATION:-20s}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
THREADS="${BENCH_THREADS:-2}"
OUT=bench/out
mkdir -p "$OUT"

if ! command -v wrk >/dev/null; then
  echo "== installing wrk"
  apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
fi

echo "== building the release binary"
cargo build --release --quiet --bin gongfang

echo "== fresh database $DB"
psql "$PG_URL/postgres" -q -v ON_ERROR_STOP=1 \
  -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"

SERVER_PID=""
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}
trap stop_server EXIT

start_server() { # $1 = catalog cache on (true) or off (false)
  env DATABASE_URL="$PG_URL/$DB" REDIS_URL="$REDIS" \
    GONGFANG__CACHE__KEY_PREFIX="gfbench:" GONGFANG__LOG__LEVEL=warn \
    GONGFANG__CATALOG__CACHE="$1" \
    target/release/gongfang serve --demo --bind "127.0.0.1:$PORT" >"$OUT/server-cache-$1.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && return 0
    sleep 0.2
  done
  echo "the server did not start; see $OUT/server-cache-$1.log" >&2
  exit 1
}

RESULTS=()
drive() { # $1 = label, $2 = path
  local url="http://127.0.0.1:$PORT$2" file="$OUT/wrk-${1// /-}.txt"
  curl -sf "$url" >/dev/null # warm the cache and fail fast on a bad path
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$url" >"$file"
  local rps p50 p99 bad
  rps=$(awk '/^Requests\/sec/ {print $2}' "$file")
  p50=$(awk '$1 == "50%" {print $2}' "$file")
  p99=$(awk '$1 == "99%" {print $2}' "$file")
  bad=$(awk '/Non-2xx/ {print $NF}' "$file")
  RESULTS+=("$(printf '%-24s %12s %10s %10s %8s' "$1" "$rps" "$p50" "$p99" "${bad:-0}")")
  echo "   $1: $rps req/s, p50 $p50, p99 $p99, non-2xx ${bad:-0}"
}

DETAIL=/api/v1/products/1
LIST=/api/v1/products

echo "== cached (in-process catalog cache on)"
start_server true
echo "   detail $(curl -s "http://127.0.0.1:$PORT$DETAIL" | wc -c) bytes, list $(curl -s "http://127.0.0.1:$PORT$LIST" | wc -c) bytes"
drive "detail cached" "$DETAIL"
drive "list cached" "$LIST"
stop_server

echo "== uncached (GONGFANG__CATALOG__CACHE=false)"
start_server false
drive "detail uncached" "$DETAIL"
drive "list uncached" "$LIST"
stop_server

echo
echo "catalog reads, $DURATION, $CONNECTIONS connections, $THREADS wrk threads, $(nproc) cores"
printf '%-24s %12s %10s %10s %8s\n' "run" "requests/s" "p50" "p99" "non-2xx"
printf '%s\n' "${RESULTS[@]}"
