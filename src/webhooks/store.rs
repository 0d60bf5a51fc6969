//! The delivery worker's queries: claiming due deliveries under a lease (SKIP
//! LOCKED on PostgreSQL, one atomic UPDATE on SQLite), dead-lettering, queue depth.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::entity::{outbox, webhook_delivery, webhook_endpoint};
use crate::error::AppResult;
use crate::platform::db::is_postgres;
use crate::platform::sql::statement;

/// A claimed delivery with everything needed to send it.
pub struct Job {
    pub delivery: webhook_delivery::Model,
    pub endpoint: webhook_endpoint::Model,
    pub event: outbox::Model,
}

/// Claims up to `limit` due deliveries, each the earliest pending one of its
/// (endpoint, resource), for enabled endpoints; leases them until `lease_until`.
/// The head check is a correlated MIN over a partial index: its cost stays linear
/// in the pending rows scanned even before PostgreSQL has statistics.
pub async fn claim(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
) -> AppResult<Vec<Job>> {
    // A read first: an idle poll never takes SQLite's write lock.
    let due = db
        .query_one_raw(statement(
            db,
            "SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $1 LIMIT 1",
            vec![now.into()],
        ))
        .await?;
    if due.is_none() {
        return Ok(Vec::new());
    }
    let token = uuid::Uuid::new_v4().to_string();
    let lock = if is_postgres(db) {
        "FOR UPDATE OF d SKIP LOCKED"
    } else {
        ""
    };
    let sql = format!(
        "UPDATE webhook_deliveries SET leased_until = $1, lease_token = $2 WHERE id IN ( \
           SELECT d.id FROM webhook_deliveries d \
           JOIN webhook_endpoints e ON e.id = d.endpoint_id \
           WHERE d.status = 'pending' AND d.next_attempt_at <= $3 AND d.expires_at > $4 \
             AND (d.leased_until IS NULL OR d.leased_until < $5) AND e.enabled = $6 \
             AND d.outbox_id = (SELECT MIN(p.outbox_id) FROM webhook_deliveries p \
               WHERE p.endpoint_id = d.endpoint_id AND p.resource_key = d.resource_key \
                 AND p.status = 'pending') \
           ORDER BY d.id LIMIT $7 {lock}) \
         RETURNING id"
    );
    let values = vec![
        lease_until.into(),
        token.into(),
        now.into(),
        now.into(),
        now.into(),
        true.into(),
        (limit as i64).into(),
    ];
    let rows = db.query_all_raw(statement(db, &sql, values)).await?;
    let ids: Vec<i64> = rows
        .iter()
        .filter_map(|r| r.try_get::<i64>("", "id").ok())
        .collect();
    load_jobs(db, ids).await
}

async fn load_jobs(db: &DatabaseConnection, ids: Vec<i64>) -> AppResult<Vec<Job>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let deliveries = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::Id.is_in(ids))
        .all(db)
        .await?;
    let endpoint_ids: Vec<i64> = deliveries.iter().map(|d| d.endpoint_id).collect();
    let outbox_ids: Vec<i64> = deliveries.iter().map(|d| d.outbox_id).collect();
    let endpoints: HashMap<i64, webhook_endpoint::Model> = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::Id.is_in(endpoint_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.id, e))
        .collect();
    let events: HashMap<i64, outbox::Model> = outbox::Entity::find()
        .filter(outbox::Column::Id.is_in(outbox_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    Ok(deliveries
        .into_iter()
        .filter_map(|delivery| {
            let endpoint = endpoints.get(&delivery.endpoint_id)?.clone();
            let event = events.get(&delivery.outbox_id)?.clone();
            Some(Job {
                delivery,
                endpoint,
                event,
            })
        })
        .collect())
}

/// Marks pending deliveries past their maximum age as dead (not while leased).
pub async fn sweep_expired(db: &DatabaseConnection, now: DateTime<Utc>) -> AppResult<u64> {
    use webhook_delivery::Column as D;
    // A read first: nothing expired, no write (SQLite has one writer).
    let expired = db
        .query_one_raw(statement(
            db,
            "SELECT id FROM webhook_deliveries WHERE status = 'pending' AND expires_at <= $1 LIMIT 1",
            vec![now.into()],
        ))
        .await?;
    if expired.is_none() {
        return Ok(0);
    }
    let result = webhook_delivery::Entity::update_many()
        .col_expr(D::Status, Expr::value("dead"))
        .col_expr(
            D::LastError,
            Expr::cust("COALESCE(last_error, 'not attempted within the maximum age')"),
        )
        .col_expr(D::UpdatedAt, Expr::value(now))
        .filter(D::Status.eq("pending"))
        .filter(D::ExpiresAt.lte(now))
        .filter(
            sea_orm::Condition::any()
                .add(D::LeasedUntil.is_null())
                .add(D::LeasedUntil.lt(now)),
        )
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Queue depth: outbox events not yet fanned out, and pending deliveries per endpoint.
pub async fn depth(db: &DatabaseConnection) -> AppResult<(i64, Vec<(i64, i64)>)> {
    let unrouted = db
        .query_one_raw(statement(
            db,
            "SELECT COUNT(*) AS n FROM outbox_pending",
            vec![],
        ))
        .await?
        .and_then(|r| r.try_get::<i64>("", "n").ok())
        .unwrap_or(0);
    let rows = db
        .query_all_raw(statement(
            db,
            "SELECT endpoint_id, COUNT(*) AS n FROM webhook_deliveries \
             WHERE status = 'pending' GROUP BY endpoint_id",
            vec![],
        ))
        .await?;
    let pending = rows
        .iter()
        .filter_map(|r| Some((r.try_get("", "endpoint_id").ok()?, r.try_get("", "n").ok()?)))
        .collect();
    Ok((unrouted, pending))
}

pub fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}
