//! The flash-sale write path: many single-unit orders drawn from one allotment
//! placed in ONE transaction with multi-row statements, so a hot SKU pays one
//! commit per batch instead of one per buyer. Correctness still lives in the
//! database: the allotment's conditional decrement and the per-buyer counter.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Set, Value};
use serde_json::json;
use tokio::sync::oneshot;

use super::addresses::addresses_for_orders;
use super::idempotency::Claim;
use super::model::{AddressView, OrderView};
use super::service::{Priced, line_view, order_view, resource_key};
use super::sql::{execute, statement};
use super::{allotments, status::OrderStatus};
use crate::entity::{order, order_event, order_line, outbox};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::platform::db;

/// What every order of one sale shares.
pub struct AllotmentSale {
    pub workshop_id: i64,
    pub item: Priced,
    pub allotment_id: i64,
    pub unit_price_fen: i64,
    pub limit_scope: String,
    pub per_buyer_limit: i64,
    pub channel: &'static str,
    pub deal_id: Option<i64>,
    pub live_session_id: Option<i64>,
    pub streamer_id: Option<i64>,
    pub payment_window: Duration,
}

pub struct BatchRequest {
    pub customer_id: i64,
    /// Checked in the batch (one query for all) against the customer.
    pub address_id: i64,
    pub claim: Option<Claim>,
    pub reply: oneshot::Sender<AppResult<OrderView>>,
}

/// What a batch did, for the caller's in-memory sold-out gate.
pub struct BatchOutcome {
    pub sold: usize,
    /// Units left in the allotment after the batch (unknown if it failed).
    pub remaining: Option<i64>,
    /// A customer's second request in the same batch waits for the next one.
    pub deferred: Vec<BatchRequest>,
}

pub async fn place_batch(
    conn: &DatabaseConnection,
    sale: &AllotmentSale,
    requests: Vec<BatchRequest>,
) -> BatchOutcome {
    let (batch, deferred) = one_per_customer(requests);
    let (batch, addresses) = match with_addresses(conn, batch).await {
        Ok(found) => found,
        Err((batch, err)) => {
            for request in batch {
                let _ = request.reply.send(Err(
                    AppError::new(err.code, err.detail.clone()).with_retry_after(1)
                ));
            }
            return BatchOutcome {
                sold: 0,
                remaining: None,
                deferred,
            };
        }
    };
    let customers: Vec<i64> = batch.iter().map(|r| r.customer_id).collect();
    match run(conn, sale, &batch, &addresses).await {
        Ok((winners, passed, remaining)) => {
            let sold = winners.len();
            let mut winners = winners.into_iter();
            for request in batch {
                let answer = if !passed.contains(&request.customer_id) {
                    Err(AppError::new(
                        ErrorCode::LimitExceeded,
                        format!("at most {} per buyer", sale.per_buyer_limit),
                    ))
                } else if let Some(view) = winners
                    .next()
                    .filter(|v| v.customer_id == request.customer_id)
                {
                    Ok(view)
                } else {
                    Err(AppError::new(ErrorCode::SoldOut, "sold out"))
                };
                let _ = request.reply.send(answer);
            }
            BatchOutcome {
                sold,
                remaining: Some(remaining),
                deferred,
            }
        }
        Err(err) => {
            tracing::warn!(error = ?err, buyers = customers.len(), "flash batch failed");
            for request in batch {
                let _ = request.reply.send(Err(
                    AppError::new(err.code, err.detail.clone()).with_retry_after(1)
                ));
            }
            BatchOutcome {
                sold: 0,
                remaining: None,
                deferred,
            }
        }
    }
}

/// Loads every buyer's address in one query; a buyer naming someone else's
/// address is answered 422 at once and leaves the batch.
async fn with_addresses(
    conn: &DatabaseConnection,
    batch: Vec<BatchRequest>,
) -> Result<(Vec<BatchRequest>, HashMap<i64, AddressView>), (Vec<BatchRequest>, AppError)> {
    let wanted: Vec<(i64, i64)> = batch
        .iter()
        .map(|r| (r.customer_id, r.address_id))
        .collect();
    let found = match addresses_for_orders(conn, &wanted).await {
        Ok(found) => found,
        Err(err) => return Err((batch, err)),
    };
    let (valid, invalid): (Vec<_>, Vec<_>) = batch
        .into_iter()
        .partition(|r| found.contains_key(&r.address_id));
    for request in invalid {
        let _ = request.reply.send(Err(AppError::invalid(
            "address_id",
            "not one of your addresses",
        )));
    }
    Ok((valid, found))
}

fn one_per_customer(requests: Vec<BatchRequest>) -> (Vec<BatchRequest>, Vec<BatchRequest>) {
    let mut seen = HashSet::new();
    requests
        .into_iter()
        .partition(|r| seen.insert(r.customer_id))
}

/// Returns the winners' orders (in arrival order), the customers within their
/// limit, and whether the allotment is now empty.
async fn run(
    conn: &DatabaseConnection,
    sale: &AllotmentSale,
    batch: &[BatchRequest],
    addresses: &HashMap<i64, AddressView>,
) -> AppResult<(Vec<OrderView>, HashSet<i64>, i64)> {
    let txn = db::begin_write(conn).await?;
    let passed = count_purchases(&txn, sale, batch).await?;
    let eligible: Vec<&BatchRequest> = batch
        .iter()
        .filter(|r| passed.contains(&r.customer_id))
        .collect();
    let granted = if eligible.is_empty() {
        0
    } else {
        allotments::take(&txn, sale.allotment_id, eligible.len() as i64).await? as usize
    };
    let (winners, losers) = eligible.split_at(granted);
    uncount(&txn, sale, losers).await?;
    let views = insert_orders(&txn, sale, winners, addresses).await?;
    for (request, view) in winners.iter().zip(&views) {
        if let Some(claim) = &request.claim {
            claim
                .complete(&txn, actix_web::http::StatusCode::CREATED, view)
                .await?;
        }
    }
    let remaining = allotments::find(&txn, sale.allotment_id).await?.remaining;
    txn.commit().await?;
    Ok((views, passed, remaining))
}

/// One upsert for the whole batch; returns the customers still within the limit.
async fn count_purchases(
    db: &impl ConnectionTrait,
    sale: &AllotmentSale,
    batch: &[BatchRequest],
) -> AppResult<HashSet<i64>> {
    let mut values: Vec<Value> = vec![sale.limit_scope.clone().into(), sale.per_buyer_limit.into()];
    let rows: Vec<String> = batch
        .iter()
        .map(|r| {
            values.push(r.customer_id.into());
            format!("(${}, $1, 1)", values.len())
        })
        .collect();
    let sql = format!(
        "INSERT INTO purchase_counts (customer_id, scope, quantity) VALUES {} \
         ON CONFLICT (customer_id, scope) DO UPDATE SET quantity = purchase_counts.quantity + 1 \
         WHERE purchase_counts.quantity + 1 <= $2 RETURNING customer_id",
        rows.join(", ")
    );
    let rows = db.query_all_raw(statement(db, &sql, values)).await?;
    rows.iter()
        .map(|row| Ok(row.try_get::<i64>("", "customer_id")?))
        .collect()
}

async fn uncount(
    db: &impl ConnectionTrait,
    sale: &AllotmentSale,
    losers: &[&BatchRequest],
) -> AppResult<()> {
    if losers.is_empty() {
        return Ok(());
    }
    let mut values: Vec<Value> = vec![sale.limit_scope.clone().into()];
    let placeholders: Vec<String> = losers
        .iter()
        .map(|r| {
            values.push(r.customer_id.into());
            format!("${}", values.len())
        })
        .collect();
    let sql = format!(
        "UPDATE purchase_counts SET quantity = quantity - 1 WHERE scope = $1 AND customer_id IN ({})",
        placeholders.join(", ")
    );
    execute(db, &sql, values).await?;
    Ok(())
}

async fn insert_orders(
    db: &impl ConnectionTrait,
    sale: &AllotmentSale,
    winners: &[&BatchRequest],
    addresses: &HashMap<i64, AddressView>,
) -> AppResult<Vec<OrderView>> {
    if winners.is_empty() {
        return Ok(Vec::new());
    }
    let now = Utc::now();
    let shipping = 0;
    let rows = winners.iter().map(|r| order::ActiveModel {
        workshop_id: Set(sale.workshop_id),
        customer_id: Set(r.customer_id),
        status: Set(OrderStatus::PendingPayment.as_str().into()),
        channel: Set(sale.channel.into()),
        live_session_id: Set(sale.live_session_id),
        streamer_id: Set(sale.streamer_id),
        deal_id: Set(sale.deal_id),
        campaign_id: Set(None),
        pickup_point_id: Set(None),
        address: Set(addresses.get(&r.address_id).map(|a| json!(a).to_string())),
        subtotal_fen: Set(sale.unit_price_fen),
        shipping_fen: Set(shipping),
        total_fen: Set(sale.unit_price_fen + shipping),
        paid_fen: Set(0),
        refunded_fen: Set(0),
        expires_at: Set(now + sale.payment_window),
        paid_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        allotment_id: Set(Some(sale.allotment_id)),
        limit_scope: Set(Some(sale.limit_scope.clone())),
        ..Default::default()
    });
    let mut orders = order::Entity::insert_many(rows)
        .exec_with_returning(db)
        .await?;
    // Match arrival order: RETURNING order is not promised.
    orders.sort_by_key(|o| winners.iter().position(|w| w.customer_id == o.customer_id));
    let lines = orders.iter().map(|o| order_line::ActiveModel {
        order_id: Set(o.id),
        sku_id: Set(sale.item.sku.id),
        product_id: Set(sale.item.product.id),
        title: Set(format!(
            "{} {}",
            sale.item.product.title, sale.item.sku.name
        )),
        storage: Set(sale.item.product.storage.clone()),
        quantity: Set(1),
        unit_price_fen: Set(sale.unit_price_fen),
        line_total_fen: Set(sale.unit_price_fen),
        refunded_quantity: Set(0),
        ..Default::default()
    });
    let mut lines = order_line::Entity::insert_many(lines)
        .exec_with_returning(db)
        .await?;
    let events = orders.iter().map(|o| order_event::ActiveModel {
        order_id: Set(o.id),
        from_status: Set(None),
        to_status: Set(OrderStatus::PendingPayment.as_str().into()),
        actor_id: Set(Some(o.customer_id)),
        reason: Set("flash deal order placed".into()),
        created_at: Set(now),
        ..Default::default()
    });
    order_event::Entity::insert_many(events).exec(db).await?;
    let views: Vec<OrderView> = orders
        .into_iter()
        .map(|o| {
            let mine: Vec<_> = lines
                .extract_if(.., |l| l.order_id == o.id)
                .map(line_view)
                .collect();
            order_view(o, mine)
        })
        .collect();
    let outbox_rows = views.iter().map(|v| outbox::ActiveModel {
        workshop_id: Set(v.workshop_id),
        event_type: Set("order.created".into()),
        resource_key: Set(resource_key(v.id)),
        payload: Set(json!(v).to_string()),
        created_at: Set(now),
        ..Default::default()
    });
    outbox::Entity::insert_many(outbox_rows).exec(db).await?;
    Ok(views)
}
