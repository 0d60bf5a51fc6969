//! PostgreSQL's batched payment writes, on the writers' connections: payments
//! started (one multi-row INSERT for whatever arrived while the previous one
//! committed) and notices confirmed.
//!
//! Confirming, in the common case: the first
//! notice, right amount, for an order still waiting to be paid. Notices are
//! confirmed in batches by one task on the writers' connections (whatever
//! arrived while the previous batch committed): one statement and one commit
//! for the whole batch. It locks the orders first (so their state cannot
//! change under it: a concurrent duplicate or the expiry job waits, then finds
//! nothing to do), marks the payments, pays the orders, turns their held units
//! into sold ones (SKU rows locked in id order, as the order writers lock
//! them), and appends the stock movements, the orders' history and their
//! `order.paid` events (data-modifying CTEs always run, referenced or not).
//! An order confirms at most one payment per batch; a second payment for it
//! takes the general path, which refunds it as it would one after the other.
//!
//! Anything else (a duplicate, an unknown payment, a wrong amount, a payment
//! that arrives after the order closed) changes nothing here and is left to
//! the general path in `payments`, which knows how to answer each.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Set, Statement};

use crate::entity::payment;
use crate::error::{AppError, AppResult};
use crate::platform::batcher::Batcher;

const CONFIRM: &str = "WITH \
    i AS (SELECT DISTINCT ON (pay.order_id) pay.id, pay.order_id \
          FROM unnest($1::text[], $2::bigint[]) AS n(provider_ref, amount_fen) \
          JOIN payments pay ON pay.provider_ref = n.provider_ref AND pay.amount_fen = n.amount_fen \
          WHERE pay.status <> 'succeeded' ORDER BY pay.order_id, pay.id), \
    w AS (SELECT id FROM orders WHERE id IN (SELECT order_id FROM i) \
          AND status = 'pending_payment' ORDER BY id FOR UPDATE), \
    p AS (UPDATE payments SET status = 'succeeded', confirmed_at = $3 \
          FROM i WHERE payments.id = i.id AND i.order_id IN (SELECT id FROM w) \
          RETURNING payments.order_id, payments.amount_fen, payments.provider_ref), \
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
    SELECT provider_ref FROM p";

/// Notices confirmed together: up to this many per statement.
const NOTICES_PER_BATCH: usize = 500;

/// Payments started together: up to this many per INSERT.
const STARTS_PER_BATCH: usize = 500;

const INSERT: &str = "INSERT INTO payments (order_id, provider, provider_ref, amount_fen, status, created_at) \
    SELECT order_id, provider, provider_ref, amount_fen, 'pending', $5 \
    FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[]) AS n(order_id, provider, provider_ref, amount_fen) \
    RETURNING id, provider_ref";

/// A payment the provider has just opened, not yet written.
#[derive(Clone)]
pub struct NewPayment {
    pub order_id: i64,
    pub provider: String,
    pub provider_ref: String,
    pub amount_fen: i64,
}

impl NewPayment {
    pub fn row(self) -> payment::ActiveModel {
        payment::ActiveModel {
            order_id: Set(self.order_id),
            provider: Set(self.provider),
            provider_ref: Set(self.provider_ref),
            amount_fen: Set(self.amount_fen),
            status: Set("pending".into()),
            created_at: Set(Utc::now()),
            confirmed_at: Set(None),
            ..Default::default()
        }
    }
}

/// The two batching tasks.
#[derive(Clone)]
pub struct PaymentWriter {
    starts: Batcher<NewPayment, payment::Model>,
    confirmations: Batcher<(String, i64), bool>,
}

impl PaymentWriter {
    /// Starts the tasks on the current runtime, committing on `writers`.
    pub fn start(writers: DatabaseConnection) -> Self {
        let db = writers.clone();
        let starts = Batcher::start("payment writer", STARTS_PER_BATCH, move |payments| {
            let db = db.clone();
            async move { insert_batch(&db, payments).await }
        });
        let confirmations =
            Batcher::start("payment confirmer", NOTICES_PER_BATCH, move |notices| {
                let db = writers.clone();
                async move { confirm_batch(&db, notices).await }
            });
        Self {
            starts,
            confirmations,
        }
    }

    /// Writes a started payment (committed when this returns).
    pub async fn insert(&self, payment: NewPayment) -> AppResult<payment::Model> {
        self.starts.ask(payment).await
    }

    /// True when the payment was confirmed (committed); false when nothing
    /// changed and the general path must decide.
    pub async fn confirm(&self, provider_ref: &str, amount_fen: i64) -> AppResult<bool> {
        self.confirmations
            .ask((provider_ref.to_owned(), amount_fen))
            .await
    }
}

async fn insert_batch(
    db: &DatabaseConnection,
    payments: Vec<NewPayment>,
) -> AppResult<Vec<payment::Model>> {
    let now = Utc::now();
    let order_ids: Vec<i64> = payments.iter().map(|p| p.order_id).collect();
    let providers: Vec<String> = payments.iter().map(|p| p.provider.clone()).collect();
    let refs: Vec<String> = payments.iter().map(|p| p.provider_ref.clone()).collect();
    let amounts: Vec<i64> = payments.iter().map(|p| p.amount_fen).collect();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            INSERT,
            vec![
                order_ids.into(),
                providers.into(),
                refs.into(),
                amounts.into(),
                now.into(),
            ],
        ))
        .await?;
    let mut ids = HashMap::with_capacity(rows.len());
    for row in rows {
        ids.insert(
            row.try_get::<String>("", "provider_ref")?,
            row.try_get::<i64>("", "id")?,
        );
    }
    payments
        .into_iter()
        .map(|p| {
            let id = *ids.get(&p.provider_ref).ok_or_else(|| {
                AppError::internal(anyhow::anyhow!("a started payment was not written"))
            })?;
            Ok(payment::Model {
                id,
                order_id: p.order_id,
                provider: p.provider,
                provider_ref: p.provider_ref,
                amount_fen: p.amount_fen,
                status: "pending".into(),
                created_at: now,
                confirmed_at: None,
            })
        })
        .collect()
}

async fn confirm_batch(
    db: &DatabaseConnection,
    notices: Vec<(String, i64)>,
) -> AppResult<Vec<bool>> {
    let (refs, amounts): (Vec<String>, Vec<i64>) = notices.iter().cloned().unzip();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            CONFIRM,
            vec![refs.into(), amounts.into(), Utc::now().into()],
        ))
        .await?;
    let confirmed = rows
        .iter()
        .map(|row| row.try_get::<String>("", "provider_ref"))
        .collect::<Result<HashSet<_>, _>>()?;
    // A notice repeated within the batch is confirmed once; the repeat is a
    // duplicate, which answers the same.
    Ok(notices.iter().map(|(r, _)| confirmed.contains(r)).collect())
}
