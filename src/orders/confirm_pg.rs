//! PostgreSQL's way of confirming a payment in the common case: the first
//! notice, right amount, for an order still waiting to be paid. One statement,
//! its own transaction, locks that order first (so its state cannot change
//! under it: a concurrent duplicate or the expiry job waits, then finds nothing
//! to do), marks the payment, pays the order, turns its held units into sold
//! ones (SKU rows locked in id order, as the order writers lock them), and
//! appends the stock movements, the order's history and its `order.paid` event
//! (data-modifying CTEs always run, referenced or not). One round trip instead
//! of a dozen, and SKU locks held for one statement instead of all of them.
//!
//! Anything else (a duplicate, an unknown payment, a wrong amount, a payment
//! that arrives after the order closed) changes nothing here and is left to
//! the general path in `payments`, which knows how to answer each.

use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use crate::error::{AppError, AppResult};

const CONFIRM: &str = "WITH \
    w AS (SELECT orders.id FROM orders JOIN payments ON payments.order_id = orders.id \
          WHERE payments.provider_ref = $1 AND payments.amount_fen = $2 \
          AND payments.status <> 'succeeded' AND orders.status = 'pending_payment' \
          FOR UPDATE OF orders), \
    p AS (UPDATE payments SET status = 'succeeded', confirmed_at = $3 \
          WHERE provider_ref = $1 AND order_id IN (SELECT id FROM w) \
          RETURNING order_id, amount_fen), \
    o AS (UPDATE orders SET status = 'paid', paid_fen = orders.paid_fen + p.amount_fen, \
          paid_at = $3, updated_at = $3 \
          FROM p WHERE orders.id = p.order_id \
          RETURNING orders.id, orders.workshop_id, orders.customer_id, orders.paid_fen, \
          orders.total_fen), \
    l AS (SELECT l.sku_id, l.quantity, o.id AS order_id, o.workshop_id \
          FROM order_lines l JOIN o ON l.order_id = o.id), \
    k AS (SELECT id FROM skus WHERE id IN (SELECT sku_id FROM l) ORDER BY id FOR UPDATE), \
    s AS (UPDATE skus SET on_hand = skus.on_hand - d.q, reserved = skus.reserved - d.q, \
          updated_at = $3 \
          FROM (SELECT sku_id, sum(quantity) AS q FROM l GROUP BY sku_id) d JOIN k ON k.id = d.sku_id \
          WHERE skus.id = d.sku_id RETURNING 1), \
    m AS (INSERT INTO stock_movements (workshop_id, sku_id, lot_id, kind, quantity, reason, \
          created_by, created_at) \
          SELECT workshop_id, sku_id, NULL, 'sale', -quantity, 'order ' || order_id || ' paid', \
          NULL, $3 FROM l RETURNING 1), \
    e AS (INSERT INTO order_events (order_id, from_status, to_status, actor_id, reason, created_at) \
          SELECT id, 'pending_payment', 'paid', NULL, 'payment confirmed', $3 FROM o RETURNING 1), \
    x AS (INSERT INTO outbox (workshop_id, event_type, resource_key, payload, created_at) \
          SELECT workshop_id, 'order.paid', 'order:' || id, \
          jsonb_build_object('order_id', id, 'customer_id', customer_id, 'paid_fen', paid_fen, \
          'total_fen', total_fen)::text, $3 FROM o RETURNING 1) \
    SELECT count(*) AS orders FROM o";

/// True when the payment was confirmed (one statement, committed on its own);
/// false when nothing changed and the general path must decide.
pub async fn try_confirm(
    conn: &DatabaseConnection,
    provider_ref: &str,
    amount_fen: i64,
) -> AppResult<bool> {
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            CONFIRM,
            vec![provider_ref.into(), amount_fen.into(), Utc::now().into()],
        ))
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("the confirmation answered no row")))?;
    Ok(row.try_get::<i64>("", "orders")? == 1)
}
