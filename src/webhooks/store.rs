//! The delivery worker's database work: claiming due deliveries under a lease
//! (SKIP LOCKED on PostgreSQL, one atomic UPDATE on SQLite), recording outcomes,
//! auto-disabling failing endpoints, dead-lettering and queue depth.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, TransactionTrait,
};
use serde_json::json;

use super::events::ENDPOINT_DISABLED;
use super::send::{Attempt, backoff};
use crate::config::WebhookSettings;
use crate::entity::{outbox, webhook_attempt, webhook_delivery, webhook_endpoint};
use crate::error::AppResult;
use crate::platform::db::{is_postgres, statement};
use crate::platform::outbox::enqueue;

/// A claimed delivery with everything needed to send it.
pub struct Job {
    pub delivery: webhook_delivery::Model,
    pub endpoint: webhook_endpoint::Model,
    pub event: outbox::Model,
}

/// What recording an attempt did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finished {
    Delivered,
    Retrying,
    Dead,
    /// The lease ran out and another worker owns the delivery now.
    LeaseLost,
}

/// Claims up to `limit` due deliveries, each the earliest pending one of its
/// (endpoint, resource), for enabled endpoints; leases them until `lease_until`.
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
            "SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ? LIMIT 1",
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
        "UPDATE webhook_deliveries SET leased_until = ?, lease_token = ? WHERE id IN ( \
           SELECT d.id FROM webhook_deliveries d \
           JOIN webhook_endpoints e ON e.id = d.endpoint_id \
           WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND d.expires_at > ? \
             AND (d.leased_until IS NULL OR d.leased_until < ?) AND e.enabled = ? \
             AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p \
               WHERE p.endpoint_id = d.endpoint_id AND p.resource_key = d.resource_key \
                 AND p.status = 'pending' AND p.outbox_id < d.outbox_id) \
           ORDER BY d.next_attempt_at, d.id LIMIT ? {lock}) \
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

/// Records one attempt: the delivery's new state, the attempt log row and the
/// endpoint's failure count (disabling it at the threshold), in one transaction.
pub async fn finish(
    db: &DatabaseConnection,
    job: &Job,
    attempt: &Attempt,
    hooks: &WebhookSettings,
) -> AppResult<Finished> {
    let d = &job.delivery;
    let attempts = d.attempts.saturating_add(1);
    let (finished, next) = if attempt.succeeded() {
        (Finished::Delivered, d.next_attempt_at)
    } else {
        let next = attempt.at + backoff(attempts, hooks);
        let state = if next >= d.expires_at {
            Finished::Dead
        } else {
            Finished::Retrying
        };
        (state, next)
    };
    let status = match finished {
        Finished::Delivered => "delivered",
        Finished::Dead => "dead",
        _ => "pending",
    };
    let txn = db.begin().await?;
    use webhook_delivery::Column as D;
    let updated = webhook_delivery::Entity::update_many()
        .col_expr(D::Status, Expr::value(status))
        .col_expr(D::Attempts, Expr::value(attempts))
        .col_expr(D::NextAttemptAt, Expr::value(next))
        .col_expr(D::LeasedUntil, Expr::value(None::<DateTime<Utc>>))
        .col_expr(D::LeaseToken, Expr::value(None::<String>))
        .col_expr(D::LastStatusCode, Expr::value(attempt.status_code))
        .col_expr(D::LastLatencyMs, Expr::value(Some(attempt.latency_ms)))
        .col_expr(D::LastError, Expr::value(attempt.error.clone()))
        .col_expr(D::UpdatedAt, Expr::value(attempt.at))
        .col_expr(
            D::DeliveredAt,
            Expr::value((finished == Finished::Delivered).then_some(attempt.at)),
        )
        .filter(D::Id.eq(d.id))
        .filter(D::LeaseToken.eq(d.lease_token.clone()))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        txn.rollback().await?;
        return Ok(Finished::LeaseLost);
    }
    log_attempt(&txn, job, attempt).await?;
    count_failures(&txn, &job.endpoint, attempt, hooks).await?;
    txn.commit().await?;
    Ok(finished)
}

async fn log_attempt(db: &impl ConnectionTrait, job: &Job, attempt: &Attempt) -> AppResult<()> {
    webhook_attempt::ActiveModel {
        delivery_id: Set(job.delivery.id),
        endpoint_id: Set(job.endpoint.id),
        attempted_at: Set(attempt.at),
        status_code: Set(attempt.status_code),
        latency_ms: Set(attempt.latency_ms),
        error: Set(attempt.error.clone()),
        response_excerpt: Set(attempt.excerpt.clone()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Resets the endpoint's failure count on success; on failure counts it and, at
/// the threshold, disables the endpoint and emits `webhook.endpoint_disabled`.
async fn count_failures(
    db: &impl ConnectionTrait,
    endpoint: &webhook_endpoint::Model,
    attempt: &Attempt,
    hooks: &WebhookSettings,
) -> AppResult<()> {
    use webhook_endpoint::Column as E;
    if attempt.succeeded() {
        webhook_endpoint::Entity::update_many()
            .col_expr(E::ConsecutiveFailures, Expr::value(0))
            .filter(E::Id.eq(endpoint.id))
            .filter(E::ConsecutiveFailures.ne(0))
            .exec(db)
            .await?;
        return Ok(());
    }
    webhook_endpoint::Entity::update_many()
        .col_expr(
            E::ConsecutiveFailures,
            Expr::col(E::ConsecutiveFailures).add(1),
        )
        .filter(E::Id.eq(endpoint.id))
        .exec(db)
        .await?;
    let Some(current) = webhook_endpoint::Entity::find_by_id(endpoint.id)
        .one(db)
        .await?
    else {
        return Ok(());
    };
    if !current.enabled || current.consecutive_failures < hooks.disable_after_failures {
        return Ok(());
    }
    let reason = format!(
        "disabled after {} consecutive failed attempts; last: {}",
        current.consecutive_failures,
        attempt.describe()
    );
    let disabled = webhook_endpoint::Entity::update_many()
        .col_expr(E::Enabled, Expr::value(false))
        .col_expr(E::DisabledReason, Expr::value(Some(truncate(&reason, 300))))
        .col_expr(E::DisabledAt, Expr::value(Some(attempt.at)))
        .col_expr(E::UpdatedAt, Expr::value(attempt.at))
        .filter(E::Id.eq(endpoint.id))
        .filter(E::Enabled.eq(true))
        .exec(db)
        .await?;
    if disabled.rows_affected == 1 {
        let data = json!({
            "endpoint_id": current.id,
            "url": current.url,
            "reason": reason,
            "consecutive_failures": current.consecutive_failures,
            "disabled_at": attempt.at,
        });
        let key = format!("webhook_endpoint:{}", current.id);
        enqueue(db, current.workshop_id, ENDPOINT_DISABLED, &key, &data).await?;
        tracing::warn!(endpoint_id = current.id, %reason, "webhook endpoint disabled");
    }
    Ok(())
}

/// Marks pending deliveries past their maximum age as dead (not while leased).
pub async fn sweep_expired(db: &DatabaseConnection, now: DateTime<Utc>) -> AppResult<u64> {
    use webhook_delivery::Column as D;
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
            "SELECT COUNT(*) AS n FROM outbox WHERE fanned_out_at IS NULL",
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
