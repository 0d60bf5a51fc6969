//! Fan-out: turns each new outbox event into one pending delivery per enabled,
//! subscribed endpoint of its workshop. One instance at a time (an advisory lock
//! on PostgreSQL, the single writer on SQLite), rows marked in the same transaction.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, Set, TransactionTrait,
};

use super::events::{matches_any, parse_patterns};
use crate::entity::{webhook_delivery, webhook_endpoint};
use crate::error::AppResult;
use crate::platform::db::{is_postgres, statement};

/// Any PostgreSQL advisory lock key unique to this job.
const FAN_OUT_LOCK: i64 = 0x6766_7765_6268_6f6f;

struct NewEvent {
    id: i64,
    workshop_id: i64,
    event_type: String,
    resource_key: String,
    created_at: DateTime<Utc>,
}

/// Fans out up to `batch` events; returns how many events it took.
pub async fn fan_out(db: &DatabaseConnection, max_age_secs: i64, batch: u64) -> AppResult<usize> {
    // A read first: an idle poll never takes SQLite's write lock.
    let waiting = db
        .query_one_raw(statement(
            db,
            "SELECT id FROM outbox WHERE fanned_out_at IS NULL LIMIT 1",
            vec![],
        ))
        .await?;
    if waiting.is_none() {
        return Ok(0);
    }
    let txn = db.begin().await?;
    if is_postgres(db) && !try_lock(&txn).await? {
        return Ok(0);
    }
    let now = Utc::now();
    let events = take_events(&txn, now, batch).await?;
    let deliveries = plan(&txn, &events, now, Duration::seconds(max_age_secs)).await?;
    for chunk in deliveries.chunks(200) {
        webhook_delivery::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(events.len())
}

async fn try_lock(txn: &DatabaseTransaction) -> AppResult<bool> {
    let row = txn
        .query_one_raw(statement(
            txn,
            "SELECT pg_try_advisory_xact_lock(?) AS locked",
            vec![FAN_OUT_LOCK.into()],
        ))
        .await?;
    Ok(row
        .and_then(|r| r.try_get::<bool>("", "locked").ok())
        .unwrap_or(false))
}

/// Marks the oldest events as fanned out and returns them in id order.
async fn take_events(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    batch: u64,
) -> AppResult<Vec<NewEvent>> {
    let sql = "UPDATE outbox SET fanned_out_at = ? WHERE id IN \
               (SELECT id FROM outbox WHERE fanned_out_at IS NULL ORDER BY id LIMIT ?) \
               RETURNING id, workshop_id, event_type, resource_key, created_at";
    let rows = txn
        .query_all_raw(statement(txn, sql, vec![now.into(), (batch as i64).into()]))
        .await?;
    let mut events = Vec::with_capacity(rows.len());
    for row in rows {
        events.push(NewEvent {
            id: row.try_get("", "id")?,
            workshop_id: row.try_get("", "workshop_id")?,
            event_type: row.try_get("", "event_type")?,
            resource_key: row.try_get("", "resource_key")?,
            created_at: row.try_get("", "created_at")?,
        });
    }
    events.sort_by_key(|e| e.id);
    Ok(events)
}

/// One delivery per (event, enabled endpoint subscribed to its type).
async fn plan(
    txn: &DatabaseTransaction,
    events: &[NewEvent],
    now: DateTime<Utc>,
    max_age: Duration,
) -> AppResult<Vec<webhook_delivery::ActiveModel>> {
    let mut workshops: Vec<i64> = events.iter().map(|e| e.workshop_id).collect();
    workshops.sort_unstable();
    workshops.dedup();
    let mut endpoints: HashMap<i64, Vec<(i64, Vec<String>)>> = HashMap::new();
    for e in webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::WorkshopId.is_in(workshops))
        .filter(webhook_endpoint::Column::Enabled.eq(true))
        .all(txn)
        .await?
    {
        let patterns = parse_patterns(&e.event_types);
        endpoints
            .entry(e.workshop_id)
            .or_default()
            .push((e.id, patterns));
    }
    let mut deliveries = Vec::new();
    for event in events {
        let Some(subscribed) = endpoints.get(&event.workshop_id) else {
            continue;
        };
        for (endpoint_id, patterns) in subscribed {
            if matches_any(patterns, &event.event_type) {
                deliveries.push(new_delivery(*endpoint_id, event, now, max_age));
            }
        }
    }
    Ok(deliveries)
}

fn new_delivery(
    endpoint_id: i64,
    event: &NewEvent,
    now: DateTime<Utc>,
    max_age: Duration,
) -> webhook_delivery::ActiveModel {
    webhook_delivery::ActiveModel {
        endpoint_id: Set(endpoint_id),
        workshop_id: Set(event.workshop_id),
        outbox_id: Set(event.id),
        event_type: Set(event.event_type.clone()),
        resource_key: Set(event.resource_key.clone()),
        status: Set("pending".into()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        expires_at: Set(event.created_at + max_age),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}
