#!/usr/bin/env bash
# One flash deal of 50,000 units, 100,000 distinct customers, 256 connections,
# one burst (wrk, bench/flash.lua); then the same with the hot path off (one
# transaction per buyer). Sold-out answers/s: the 409s over the time after the
# last order (from wrk's duration and the orders' timestamps).
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

# One burst through every prepared customer with wrk (2 threads, 256 connections).
burst() {
  local deal=$1
  # wrk keeps its clock running after the threads stop: its requests/s are not the figure.
  wrk -t2 -c256 -d90s --timeout 10s -s bench/flash.lua "$BASE" -- "$deal" bench/out/flash/customers.txt 2 \
    | grep -E 'status|p50' | tee "bench/out/flash-$deal.txt"
  local selling
  selling=$(sql "SELECT extract(epoch FROM max(created_at) - min(created_at)) FROM orders WHERE deal_id = $deal")
  echo "orders/s while stock lasted: $(python3 -c "print(round($UNITS / max($selling, 0.001)))") (sold in ${selling}s)"
}

# Once the deal is empty: how fast buyers hear "sold out" (10 s, 64 connections).
sold_out_rate() {
  local deal=$1 token address
  read -r token address < bench/out/flash/customers.txt
  printf 'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\nwrk.headers["Authorization"] = "Bearer %s"\n' \
    "'{\"address_id\": $address}'" "$token" > bench/out/sold-out.lua
  wrk -t2 -c64 -d10s --latency -s bench/out/sold-out.lua "$BASE/api/v1/live/deals/$deal/orders" \
    | grep -E 'Requests/sec|50%|99%|Non-2xx' | sed 's/^/sold-out answers: /'
}

check() {
  local deal=$1
  echo "orders for deal $deal: $(sql "SELECT count(*) FROM orders WHERE deal_id = $deal") (deal quantity $UNITS)"
  echo "buyers with more than one order: $(sql "SELECT count(*) FROM (SELECT customer_id FROM orders WHERE deal_id = $deal GROUP BY customer_id HAVING count(*) > 1) t")"
  echo "oversold SKUs (on_hand < reserved or negative): $(sql "SELECT count(*) FROM skus WHERE on_hand < reserved OR reserved < 0 OR on_hand < 0")"
  echo "allotment remaining: $(sql "SELECT a.remaining FROM deals d JOIN allotments a ON a.id = d.allotment_id WHERE d.id = $deal")"
}

echo "== flash sale, hot path on (batched writer, sold-out from memory)"
start_service
burst "$(cat bench/out/flash/deal.txt)" | tee bench/out/flash-on.txt
check "$(cat bench/out/flash/deal.txt)"
sold_out_rate "$(cat bench/out/flash/deal.txt)"
kill "$SERVICE_PID"; wait "$SERVICE_PID" 2>/dev/null || true

echo "== flash sale, hot path off (one transaction per buyer)"
GONGFANG__LIVE__FLASH_BATCHING=false start_service
burst "$(cat bench/out/flash-baseline/deal.txt)" | tee bench/out/flash-off.txt
check "$(cat bench/out/flash-baseline/deal.txt)"
sold_out_rate "$(cat bench/out/flash-baseline/deal.txt)"

on=$(grep 'orders/s while stock lasted' bench/out/flash-on.txt | awk '{print $5}')
off=$(grep 'orders/s while stock lasted' bench/out/flash-off.txt | awk '{print $5}')
echo "== ratio (orders/s while stock lasted, on / off): $(python3 -c "print(round($on / max($off, 1), 1))")"
