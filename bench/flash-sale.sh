#!/usr/bin/env bash
# One flash deal of 50,000 units, 100,000 distinct customers, 256 connections,
# one burst; then the same with the hot path off (one transaction per buyer).
# Release build on PostgreSQL + Redis; prints throughput, latency and the
# oversell check. Customers and tokens are inserted in bulk (no hashing).
source "$(dirname "$0")/common.sh"
mkdir -p bench/out
CUSTOMERS=${CUSTOMERS:-100000}
UNITS=${UNITS:-50000}
release_build
fresh_database gongfang_bench_flash
target/release/gongfang bench-prepare --customers "$CUSTOMERS" --skus 1 --stock "$((UNITS * 2 + 10))" --deal-quantity "$UNITS" --out bench/out/flash
target/release/gongfang bench-prepare --customers 0 --skus 1 --stock "$((UNITS + 10))" --deal-quantity "$UNITS" --out bench/out/flash-baseline

check() {
  local deal=$1
  echo "orders for deal $deal: $(sql "SELECT count(*) FROM orders WHERE deal_id = $deal") (deal quantity $UNITS)"
  echo "buyers with more than one order: $(sql "SELECT count(*) FROM (SELECT customer_id FROM orders WHERE deal_id = $deal GROUP BY customer_id HAVING count(*) > 1) t")"
  echo "oversold SKUs (on_hand < reserved or negative): $(sql "SELECT count(*) FROM skus WHERE on_hand < reserved OR reserved < 0 OR on_hand < 0")"
  echo "allotment remaining: $(sql "SELECT a.remaining FROM deals d JOIN allotments a ON a.id = d.allotment_id WHERE d.id = $deal")"
}

echo "== flash sale, hot path on (batched writer, sold-out from memory)"
start_service
target/release/gongfang-load flash --base "$BASE" --data bench/out/flash --deal "$(cat bench/out/flash/deal.txt)" --concurrency 256 --duration 60 | tee bench/out/flash-on.txt
check "$(cat bench/out/flash/deal.txt)"
kill "$SERVICE_PID"; wait "$SERVICE_PID" 2>/dev/null || true

echo "== flash sale, hot path off (one transaction per buyer)"
GONGFANG__LIVE__FLASH_BATCHING=false start_service
target/release/gongfang-load flash --base "$BASE" --data bench/out/flash --deal "$(cat bench/out/flash-baseline/deal.txt)" --concurrency 256 --duration 60 | tee bench/out/flash-off.txt
check "$(cat bench/out/flash-baseline/deal.txt)"

on=$(grep 'orders/s while stock lasted' bench/out/flash-on.txt | awk '{print $5}')
off=$(grep 'orders/s while stock lasted' bench/out/flash-off.txt | awk '{print $5}')
[ -n "$off" ] || off=$(grep 'completed (2xx)' bench/out/flash-off.txt | sed 's/.*(\([0-9]*\)\/s)/\1/')
echo "== ratio (orders/s while stock lasted, on / off): $(python3 -c "print(round($on / max($off, 1), 1))")"
