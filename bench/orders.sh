#!/usr/bin/env bash
# Order placement by 5,000 customers over 1,000 SKUs (256 connections, 20 s),
# then the same with 50,000 customers each ordering once (every token seen for
# the first time), then complete checkouts (order + payment + signed webhook),
# against a release build on PostgreSQL + Redis; prints throughput, latency,
# where the CPU went, the writers' batch sizes and a stock check.
source "$(dirname "$0")/common.sh"
DURATION=${DURATION:-20}
CONCURRENCY=${CONCURRENCY:-256}
COLD=${COLD_CUSTOMERS:-50000}
ensure_wrk
build gongfang-load
fresh_database gongfang_bench_orders
export GONGFANG__ORDERS__PAYMENT_WINDOW_SECS=3600
"$BIN/gongfang" bench-prepare --customers 5000 --skus 1000 --stock 1000000 --out bench/out/orders
"$BIN/gongfang" bench-prepare --customers "$COLD" --skus 1000 --stock 1000000 --out bench/out/orders-cold
start_service

echo "== order placement (warm tokens: 5,000 customers; wrk, bench/orders.lua)"
measure "$DURATION" wrk -t2 -c"$CONCURRENCY" -d"${DURATION}s" --timeout 10s --latency -s bench/orders.lua "$BASE" -- bench/out/orders \
  > bench/out/orders-wrk.txt
grep -E 'status|orders/s|Non-2xx|CPU' bench/out/orders-wrk.txt
echo "== order placement (cold tokens: each of $COLD customers once)"
measure "$DURATION" "$BIN/gongfang-load" cold --base "$BASE" --data bench/out/orders-cold --concurrency "$CONCURRENCY" --duration "$DURATION"
echo "== complete checkouts"
measure "$DURATION" "$BIN/gongfang-load" checkouts --base "$BASE" --data bench/out/orders --concurrency "$CONCURRENCY" --duration "$DURATION"
curl -fs "$BASE/metrics" > bench/out/orders-metrics.txt
python3 - bench/out/orders-metrics.txt <<'PY'
import sys
m = {}
for line in open(sys.argv[1]):
    name, _, value = line.partition(" ")
    if name.startswith(("gongfang_order_batch_jobs_", "gongfang_order_batch_seconds_")) and name.endswith(("_sum", "_count")):
        m[name] = float(value)
batches = m.get("gongfang_order_batch_jobs_count", 0)
jobs = m.get("gongfang_order_batch_jobs_sum", 0)
secs = m.get("gongfang_order_batch_seconds_sum", 0)
print(f"== order writers: {batches:.0f} batches, {jobs / max(batches, 1):.1f} orders per batch, "
      f"{1000 * secs / max(batches, 1):.1f} ms per batch")
PY

echo "== correctness"
echo "orders: $(sql "SELECT status || '=' || count(*) FROM orders GROUP BY status ORDER BY 1" | tr '\n' ' ')"
bad=$(sql "
  WITH held AS (SELECT l.sku_id, sum(l.quantity) q FROM order_lines l JOIN orders o ON o.id = l.order_id
                WHERE o.status = 'pending_payment' GROUP BY l.sku_id),
       sold AS (SELECT l.sku_id, sum(l.quantity) q FROM order_lines l JOIN orders o ON o.id = l.order_id
                WHERE o.status = 'paid' GROUP BY l.sku_id),
       moved AS (SELECT sku_id, sum(quantity) q FROM stock_movements GROUP BY sku_id)
  SELECT count(*) FROM skus s
  LEFT JOIN held h ON h.sku_id = s.id LEFT JOIN sold d ON d.sku_id = s.id LEFT JOIN moved m ON m.sku_id = s.id
  WHERE s.reserved <> coalesce(h.q, 0) OR s.on_hand <> 1000000 - coalesce(d.q, 0)
     OR s.on_hand <> coalesce(m.q, 0) OR s.on_hand < s.reserved")
echo "SKUs whose stock does not balance: $bad"
[ "$bad" = "0" ] || fail "stock does not balance"
