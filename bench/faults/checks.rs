//! The promises checked in the database after a fault: every acknowledged
//! order exists exactly once, no order without its key, no key left in
//! progress, and per SKU available + units held by live orders = initial stock.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::DatabaseConnection;

use crate::world::{rows, scalar};

/// Failures found (empty: all promises kept), with a summary line.
pub struct Verdict {
    pub failures: Vec<String>,
    pub summary: String,
}

pub async fn orders_and_stock(
    db: &DatabaseConnection,
    acknowledged: &BTreeSet<i64>,
    skus: &[i64],
    initial_stock: i64,
) -> anyhow::Result<Verdict> {
    orders_and_stock_where(db, acknowledged, skus, initial_stock, "1 = 1").await
}

/// The same, over the orders matching `filter` (SQL) and the given SKUs only.
pub async fn orders_and_stock_where(
    db: &DatabaseConnection,
    acknowledged: &BTreeSet<i64>,
    skus: &[i64],
    initial_stock: i64,
    filter: &str,
) -> anyhow::Result<Verdict> {
    let mut failures = Vec::new();
    let orders: BTreeSet<i64> = rows(db, &format!("SELECT id FROM orders WHERE {filter}"))
        .await?
        .iter()
        .filter_map(|r| r.try_get_by_index::<i64>(0).ok())
        .collect();
    let lost: Vec<_> = acknowledged.difference(&orders).collect();
    if !lost.is_empty() {
        failures.push(format!(
            "{} acknowledged orders missing: {lost:?}",
            lost.len()
        ));
    }
    let unacknowledged: Vec<_> = orders.difference(acknowledged).collect();
    if !unacknowledged.is_empty() {
        failures.push(format!(
            "{} orders no client was ever told about: {unacknowledged:?}",
            unacknowledged.len()
        ));
    }
    failures.extend(keys(db, &orders).await?);
    let not_pending = scalar(
        db,
        &format!("SELECT count(*) FROM orders WHERE {filter} AND status <> 'pending_payment'"),
    )
    .await?;
    if not_pending > 0 {
        failures.push(format!(
            "{not_pending} orders left pending_payment (none should expire or be paid here)"
        ));
    }
    let (balanced, stock_failures) = stock(db, skus, initial_stock).await?;
    failures.extend(stock_failures);
    Ok(Verdict {
        summary: format!(
            "orders checked: {} in the database, {} acknowledged; SKUs balanced: {balanced}/{}",
            orders.len(),
            acknowledged.len(),
            skus.len()
        ),
        failures,
    })
}

/// Each order is the stored answer of exactly one key; no key in progress.
async fn keys(db: &DatabaseConnection, orders: &BTreeSet<i64>) -> anyhow::Result<Vec<String>> {
    let mut failures = Vec::new();
    let in_progress = scalar(
        db,
        "SELECT count(*) FROM idempotency_keys WHERE status = 'in_progress'",
    )
    .await?;
    if in_progress > 0 {
        failures.push(format!("{in_progress} idempotency keys still in progress"));
    }
    let mut answers: BTreeMap<i64, usize> = BTreeMap::new();
    let stored = rows(
        db,
        "SELECT response_body FROM idempotency_keys WHERE scope = 'orders.create' AND status = 'done' AND response_status = 201",
    )
    .await?;
    for row in stored {
        let body: Option<String> = row.try_get_by_index(0)?;
        let id = body
            .and_then(|b| serde_json::from_str::<serde_json::Value>(&b).ok())
            .and_then(|v| v["id"].as_i64());
        match id {
            Some(id) => *answers.entry(id).or_default() += 1,
            None => failures.push("a 201 key without an order id in its answer".into()),
        }
    }
    let keyless: Vec<_> = orders
        .iter()
        .filter(|id| !answers.contains_key(id))
        .collect();
    if !keyless.is_empty() {
        failures.push(format!(
            "{} orders without a key: {keyless:?}",
            keyless.len()
        ));
    }
    let shared: Vec<_> = answers.iter().filter(|(_, n)| **n > 1).collect();
    if !shared.is_empty() {
        failures.push(format!("orders answered to several keys: {shared:?}"));
    }
    let ghost: Vec<_> = answers.keys().filter(|id| !orders.contains(id)).collect();
    if !ghost.is_empty() {
        failures.push(format!(
            "keys answering orders that do not exist: {ghost:?}"
        ));
    }
    Ok(failures)
}

/// Per SKU: on_hand untouched, reserved = units of pending orders, the ledger
/// sums to on_hand, available never negative. Returns how many balance.
async fn stock(
    db: &DatabaseConnection,
    skus: &[i64],
    initial: i64,
) -> anyhow::Result<(usize, Vec<String>)> {
    let mut failures = Vec::new();
    let mut balanced = 0;
    for sku in skus {
        let on_hand = scalar(db, &format!("SELECT on_hand FROM skus WHERE id = {sku}")).await?;
        let reserved = scalar(db, &format!("SELECT reserved FROM skus WHERE id = {sku}")).await?;
        let held = scalar(
            db,
            &format!(
                "SELECT CAST(coalesce(sum(l.quantity), 0) AS BIGINT) FROM order_lines l \
                 JOIN orders o ON o.id = l.order_id WHERE l.sku_id = {sku} AND o.status = 'pending_payment'"
            ),
        )
        .await?;
        let ledger = scalar(
            db,
            &format!("SELECT CAST(coalesce(sum(quantity), 0) AS BIGINT) FROM stock_movements WHERE sku_id = {sku}"),
        )
        .await?;
        let available = on_hand - reserved;
        if available + held == initial && on_hand == ledger && available >= 0 {
            balanced += 1;
        } else {
            failures.push(format!(
                "SKU {sku}: on_hand {on_hand}, reserved {reserved}, held by orders {held}, ledger {ledger}, initial {initial}"
            ));
        }
    }
    Ok((balanced, failures))
}
