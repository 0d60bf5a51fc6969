//! Fan-out: turns each new outbox event into one pending delivery per enabled,
//! subscribed endpoint of its workshop. One instance at a time (an advisory lock
//! on PostgreSQL, the single writer on SQLite). Events waiting are listed in
//! `outbox_pending` (filed by a trigger on every outbox insert); the ids taken
//! are deleted in the same transaction that plans their deliveries.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, Set,
};

use super::events::{matches_any, parse_patterns};
use crate::entity::{outbox, webhook_delivery, webhook_endpoint};
use crate::error::AppResult;
use crate::platform::db::{begin_write, is_postgres};
use crate::platform::sql::statement;

/// Any PostgreSQL advisory lock key unique to this job.
const FAN_OUT_LOCK: i64 = 0x6766_7765_6268_6f6f;

/// Fans out up to `batch` events; returns how many events it took.
pub async fn fan_out(db: &DatabaseConnection, max_age_secs: i64, batch: u64) -> AppResult<usize> {
    // A read first: an idle poll never takes SQLite's write lock.
    let waiting = db
        .query_one_raw(statement(
            db,
            "SELECT outbox_id FROM outbox_pending LIMIT 1",
            vec![],
        ))
        .await?;
    if waiting.is_none() {
        return Ok(0);
    }
    let txn = begin_write(db).await?;
    if is_postgres(db) && !try_lock(&txn).await? {
        return Ok(0);
    }
    let now = Utc::now();
    let events = take_events(&txn, batch).await?;
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
            "SELECT pg_try_advisory_xact_lock($1) AS locked",
            vec![FAN_OUT_LOCK.into()],
        ))
        .await?;
    Ok(row
        .and_then(|r| r.try_get::<bool>("", "locked").ok())
        .unwrap_or(false))
}

/// Takes the oldest waiting events off the to-do list and returns them in id order.
async fn take_events(txn: &DatabaseTransaction, batch: u64) -> AppResult<Vec<outbox::Model>> {
    let taken = txn
        .query_all_raw(statement(
            txn,
            "DELETE FROM outbox_pending WHERE outbox_id IN \
             (SELECT outbox_id FROM outbox_pending ORDER BY outbox_id LIMIT $1) \
             RETURNING outbox_id",
            vec![(batch as i64).into()],
        ))
        .await?;
    let ids = taken
        .iter()
        .map(|row| row.try_get::<i64>("", "outbox_id"))
        .collect::<Result<Vec<_>, _>>()?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(outbox::Entity::find()
        .filter(outbox::Column::Id.is_in(ids))
        .order_by_asc(outbox::Column::Id)
        .all(txn)
        .await?)
}

/// One delivery per (event, enabled endpoint subscribed to its type).
async fn plan(
    txn: &DatabaseTransaction,
    events: &[outbox::Model],
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
    event: &outbox::Model,
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
