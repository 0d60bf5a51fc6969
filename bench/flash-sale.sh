#!/usr/bin/env bash
# One flash deal of 50,000 units, 100,000 distinct customers, 256 connections,
# one burst (wrk, bench/flash.lua); then the same with the hot path off (one
# transaction per buyer); then a burst split over two instances sharing
# PostgreSQL and Redis. Sold-out answers/s: wrk against the emptied deal.
# Release build on PostgreSQL + Redis; prints throughput, latency, where the
# CPU went and the oversell checks. Customers and tokens are inserted in bulk.
source "$(dirname "$0")/common.sh"
CUSTOMERS=${CUSTOMERS:-100000}
UNITS=${UNITS:-50000}
BURST_SECS=${BURST_SECS:-60}
SOLD_OUT_SECS=${SOLD_OUT_SECS:-10}
ensure_wrk
build gongfang-load
fresh_database gongfang_bench_flash
prepare() { "$BIN/gongfang" bench-prepare --customers "$1" --skus 1 --stock "$((UNITS * 2 + 10))" --deal-quantity "$UNITS" --out "bench/out/$2"; }
prepare "$CUSTOMERS" flash
prepare 0 flash-baseline
prepare "$CUSTOMERS" flash-two

# One burst through every prepared customer with wrk (2 threads, 256 connections).
burst() {
  local deal=$1 customers=$2
  # wrk keeps its clock running after the threads stop: its requests/s are not the figure.
  measure "$BURST_SECS" wrk -t2 -c256 -d"${BURST_SECS}s" --timeout 10s -s bench/flash.lua "$BASE" -- "$deal" "$customers" 2 \
    > "bench/out/flash-$deal.txt"
  grep -E 'status|p50' "bench/out/flash-$deal.txt"
  selling_rate "$deal"
}

selling_rate() {
  local deal=$1 selling
  selling=$(sql "SELECT extract(epoch FROM max(created_at) - min(created_at)) FROM orders WHERE deal_id = $deal")
  echo "orders/s while stock lasted: $(python3 -c "print(round($UNITS / max(${selling:-0}, 0.001)))") (sold in ${selling}s)"
}

# Once the deal is empty: how fast buyers hear "sold out" (64 connections).
sold_out_rate() {
  local deal=$1 token address
  read -r token address < bench/out/flash/customers.txt
  printf 'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\nwrk.headers["Authorization"] = "Bearer %s"\n' \
    "'{\"address_id\": $address}'" "$token" > bench/out/sold-out.lua
  measure "$SOLD_OUT_SECS" wrk -t2 -c64 -d"${SOLD_OUT_SECS}s" --latency -s bench/out/sold-out.lua "$BASE/api/v1/live/deals/$deal/orders" \
    > bench/out/sold-out.txt
  grep -E 'Requests/sec|50%|99%|Non-2xx' bench/out/sold-out.txt | sed 's/^/sold-out answers: /'
}

check() {
  local deal=$1 orders buyers oversold
  orders=$(sql "SELECT count(*) FROM orders WHERE deal_id = $deal")
  buyers=$(sql "SELECT count(*) FROM (SELECT customer_id FROM orders WHERE deal_id = $deal GROUP BY customer_id HAVING count(*) > 1) t")
  oversold=$(sql "SELECT count(*) FROM skus WHERE on_hand < reserved OR reserved < 0 OR on_hand < 0")
  echo "orders for deal $deal: $orders (deal quantity $UNITS); buyers with more than one order: $buyers; oversold SKUs: $oversold"
  echo "allotment remaining: $(sql "SELECT a.remaining FROM deals d JOIN allotments a ON a.id = d.allotment_id WHERE d.id = $deal")"
  [ "$orders" -le "$UNITS" ] && [ "$buyers" = "0" ] && [ "$oversold" = "0" ] || fail "deal $deal oversold"
}

echo "== flash sale, hot path on (batched writer, sold-out from memory)"
start_service
burst "$(cat bench/out/flash/deal.txt)" bench/out/flash/customers.txt | tee bench/out/flash-on.txt
check "$(cat bench/out/flash/deal.txt)"
sold_out_rate "$(cat bench/out/flash/deal.txt)"
stop_services

echo "== flash sale, hot path off (one transaction per buyer)"
GONGFANG__LIVE__FLASH_BATCHING=false start_service
burst "$(cat bench/out/flash-baseline/deal.txt)" bench/out/flash/customers.txt | tee bench/out/flash-off.txt
check "$(cat bench/out/flash-baseline/deal.txt)"
stop_services

echo "== flash sale on two instances (one PostgreSQL and Redis), load spread over both"
start_service
start_service --port "$((PORT + 1))"
deal=$(cat bench/out/flash-two/deal.txt)
measure "$BURST_SECS" "$BIN/gongfang-load" flash --base "$BASE,http://127.0.0.1:$((PORT + 1))" \
  --data bench/out/flash-two --deal "$deal" --concurrency 256 --duration "$BURST_SECS" | tee bench/out/flash-two.txt
selling_rate "$deal"
check "$deal"
stop_services

on=$(grep 'orders/s while stock lasted' bench/out/flash-on.txt | awk '{print $5}')
off=$(grep 'orders/s while stock lasted' bench/out/flash-off.txt | awk '{print $5}')
echo "== ratio (orders/s while stock lasted, on / off): $(python3 -c "print(round($on / max($off, 1), 1))")"
