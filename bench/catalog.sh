#!/usr/bin/env bash
# Catalog read benchmark, one command: a release build against PostgreSQL +
# Redis on a fresh database with the demo data (measured only once /readyz
# says the demo is in), product detail and the first list page driven by wrk
# (20 s, 64 connections each), first with the in-process catalog cache, then
# with it switched off (GONGFANG__CATALOG__CACHE=false: every read queries
# PostgreSQL).
#
#   bench/catalog.sh                      # defaults below
#   BENCH_DURATION=5s bench/catalog.sh    # a quick run
#
# Prints requests/s, p50, p99, non-2xx counts and the CPU split per run; raw
# wrk output and the server logs land in bench/out/.
source "$(dirname "$0")/common.sh"
DURATION="${BENCH_DURATION:-20s}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
THREADS="${BENCH_THREADS:-2}"
SECS=${DURATION%s}
ensure_wrk
build
fresh_database gongfang_bench_catalog

RESULTS=()
drive() { # $1 = label, $2 = path
  local url="$BASE$2" file="bench/out/wrk-${1// /-}.txt"
  curl -fsS "$url" > /dev/null || fail "GET $2 does not answer 200"
  measure "$SECS" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$url" > "$file"
  local rps p50 p99 bad
  rps=$(awk '/^Requests\/sec/ {print $2}' "$file")
  p50=$(awk '$1 == "50%" {print $2}' "$file")
  p99=$(awk '$1 == "99%" {print $2}' "$file")
  bad=$(awk '/Non-2xx/ {print $NF}' "$file")
  [ -n "$rps" ] || fail "wrk printed no figures for $1"
  RESULTS+=("$(printf '%-24s %12s %10s %10s %8s' "$1" "$rps" "$p50" "$p99" "${bad:-0}")")
  echo "   $1: $rps req/s, p50 $p50, p99 $p99, non-2xx ${bad:-0}"
}

DETAIL=/api/v1/products/1
LIST=/api/v1/products

echo "== cached (in-process catalog cache on)"
GONGFANG__CATALOG__CACHE=true start_service --demo
echo "   detail $(curl -s "$BASE$DETAIL" | wc -c) bytes, list $(curl -s "$BASE$LIST" | wc -c) bytes"
drive "detail cached" "$DETAIL"
drive "list cached" "$LIST"
stop_services

echo "== uncached (GONGFANG__CATALOG__CACHE=false)"
GONGFANG__CATALOG__CACHE=false start_service
drive "detail uncached" "$DETAIL"
drive "list uncached" "$LIST"
stop_services

echo
echo "catalog reads, $DURATION, $CONNECTIONS connections, $THREADS wrk threads, $(nproc) cores"
printf '%-24s %12s %10s %10s %8s\n' "run" "requests/s" "p50" "p99" "non-2xx"
printf '%s\n' "${RESULTS[@]}"
