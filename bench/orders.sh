#!/usr/bin/env bash
# Order placement by 5,000 customers over 1,000 SKUs (256 connections, 20 s),
# then complete checkouts (order + payment + signed webhook), against a release
# build on PostgreSQL + Redis; prints throughput, latency and a stock check.
source "$(dirname "$0")/common.sh"
mkdir -p bench/out
release_build
fresh_database gongfang_bench_orders
export GONGFANG__ORDERS__PAYMENT_WINDOW_SECS=3600
target/release/gongfang bench-prepare --customers 5000 --skus 1000 --stock 1000000 --out bench/out/orders
start_service

echo "== order placement"
target/release/gongfang-load orders --base "$BASE" --data bench/out/orders --concurrency "${CONCURRENCY:-256}" --duration "${DURATION:-20}"
echo "== complete checkouts"
target/release/gongfang-load checkouts --base "$BASE" --data bench/out/orders --concurrency "${CONCURRENCY:-256}" --duration "${DURATION:-20}"

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
[ "$bad" = "0" ]
